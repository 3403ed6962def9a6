"""Settings of the webhook channel: ``[channels.webhook]`` and its inbound sources.

The inbound sources live under the channel (``[channels.webhook.in.<source>]``) rather
than in a core section, so the core keeps no list of what a connector serves.
"""

from __future__ import annotations

import re

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

_LISTEN = re.compile(r"^[\w.\-\[\]:]*:\d{1,5}$")


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class InboundSource(Strict):
    """One sender of signed POSTs (a payment provider, a CRM, a form service)."""

    path: str = Field(min_length=2)  # where it POSTs, e.g. "/hooks/payments"
    secret_env: str = Field(min_length=1)  # the environment variable with its HMAC secret
    # A signature older or newer than this is refused (a captured request replayed later).
    tolerance_seconds: float = Field(default=300.0, gt=0, le=86400)
    # The header carrying ``t=<unix time>,v1=<hex HMAC-SHA256 of "t.body">``.
    signature_header: str = "Webhook-Signature"
    # Dotted path to the provider's own event id in the JSON body: the event's natural
    # key, so a provider's retry of one event (new timestamp, new signature) is one event.
    id_field: str = "id"
    # Dotted path to a field whose value becomes the event's subject (rules match it).
    subject_field: str = "type"

    @field_validator("path")
    @classmethod
    def _absolute(cls, value: str) -> str:
        if not value.startswith("/") or any(c.isspace() for c in value):
            raise ValueError("must start with '/' and hold no spaces")
        return value


class WebhookSettings(Strict):
    enabled: bool = True
    timeout_seconds: float = Field(default=10.0, gt=0)
    # Outbound: the environment variable holding the HMAC secret that signs every POST
    # ("" = unsigned; the receiver then cannot tell Deputy from anyone).
    secret_env: str = ""
    signature_header: str = "Webhook-Signature"
    # Inbound: "host:port" of the HTTP listener ("" = no listener).
    listen: str = ""
    max_body_bytes: int = Field(default=1_000_000, ge=1_000, le=50_000_000)
    max_connections: int = Field(default=100, ge=1)
    sources: dict[str, InboundSource] = Field(default_factory=dict, alias="in")

    @field_validator("listen")
    @classmethod
    def _listen(cls, value: str) -> str:
        if value and not _LISTEN.match(value):
            raise ValueError("expected 'host:port', e.g. '127.0.0.1:8787'")
        return value

    @model_validator(mode="after")
    def _listener(self) -> WebhookSettings:
        if self.sources and not self.listen:
            raise ValueError("inbound sources (in.*) need 'listen' (host:port)")
        return self

    @field_validator("sources")
    @classmethod
    def _distinct_paths(cls, value: dict[str, InboundSource]) -> dict[str, InboundSource]:
        paths = [s.path for s in value.values()]
        if len(paths) != len(set(paths)):
            raise ValueError("two sources share one path")
        for name in value:
            if not re.fullmatch(r"[A-Za-z0-9_\-]+", name):
                raise ValueError(f"source name {name!r}: letters, digits, '-' and '_' only")
        return value
