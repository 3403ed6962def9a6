"""Channel connectors. Each only translates between its wire protocol and Events/Deliveries.

A connector package exposes ``SETTINGS`` (a pydantic model for its config section) and
``create(*, name, settings, runtime) -> Connector``; the core loads it by name.
"""
