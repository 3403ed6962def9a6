"""The one SSL context both IMAP and SMTP use: certificates are always verified and
host names always checked; ``tls_ca_file`` only adds trust anchors (a private CA)."""

from __future__ import annotations

import ssl
from pathlib import Path

from bot.errors import ConfigError


def client_context(ca_file: Path | None = None, *, channel: str = "email") -> ssl.SSLContext:
    # create_default_context(cafile=...) would load *only* that file and skip the system
    # store, so load the defaults first and add the extra bundle on top.
    context = ssl.create_default_context(ssl.Purpose.SERVER_AUTH)
    if ca_file is not None:
        try:
            context.load_verify_locations(cafile=str(ca_file))
        except (OSError, ssl.SSLError) as exc:
            raise ConfigError(
                f"channels.{channel}.tls_ca_file: cannot load CA bundle {ca_file}: {exc}"
            ) from exc
    return context
