"""``[peers.<name>]`` in config.toml: who a peer is and where its shared secret lives."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, field_validator


class PeerSettings(BaseModel):
    """One peer installation. The secret itself never appears in the file: ``secret_env``
    names the environment variable holding it (both sides hold the same value)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    addresses: list[str] = Field(min_length=1)  # the peer's own addresses (its From)
    secret_env: str = Field(pattern=r"^[A-Za-z_][A-Za-z0-9_]{0,127}$")
    # How far a signature's time may be from the message's arrival: a copy replayed later
    # is machine mail again. Both clocks and the mail's transit must fit inside it.
    max_age_seconds: float = Field(default=900.0, gt=0, le=86400)
    description: str = ""

    @field_validator("addresses")
    @classmethod
    def _addr_specs(cls, value: list[str]) -> list[str]:
        out = []
        for address in value:
            address = address.strip().lower()
            local, at, domain = address.rpartition("@")
            if not at or not local or "." not in domain or any(c in address for c in " <>,\r\n"):
                raise ValueError(f"{address!r} is not a plain address (name@domain)")
            out.append(address)
        return out
