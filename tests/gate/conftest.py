from tests.core.conftest import daemon  # noqa: F401  (the daemon fixture, shared)
