"""The config.toml sections of an organisation: ``[models.<name>]`` and
``[departments.<name>]``.

A department here is one agent of the owner's organisation (front, accounts, sales...),
not one of the internal handler groups in ``bot/desks/``. Kept apart from ``bot.config``
so that module stays the ground every other one builds on; it imports these models.
"""

from __future__ import annotations

import re
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

STAGES = ("facts", "decide", "write", "check")
# reading facts (proposals the message's text must support), deciding (the tool loop),
# writing (the reply text), checking a draft before the gate (it can only hold one back)
Stage = Literal["facts", "decide", "write", "check"]
OWNER = "owner"
_NAME = re.compile(r"^[a-z][a-z0-9_-]{0,31}$")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ModelEndpoint(_Strict):
    """One OpenAI-compatible endpoint a department's stage may name."""

    base_url: str
    model: str
    api_key_env: str = ""  # "" = a local server that needs no key
    timeout_seconds: float = Field(default=60.0, gt=0)
    max_retries: int = Field(default=2, ge=0, le=10)
    # Price per million tokens: what the spend caps count.
    price_in_per_mtok: float = Field(default=0.0, ge=0)
    price_out_per_mtok: float = Field(default=0.0, ge=0)
    daily_cap: float | None = Field(default=None, ge=0)  # spend per day over all departments

    @field_validator("base_url")
    @classmethod
    def _has_scheme(cls, value: str) -> str:
        if not re.match(r"^https?://[^/\s]+", value):
            raise ValueError("must start with http:// or https:// and name a host")
        return value


class DepartmentSettings(_Strict):
    """One department: where its rules live, whom it answers for, what it may spend and
    who decides what its rules do not cover."""

    description: str = ""
    rules: str = ""  # folder under rules_dir; "" = rules/<name>/
    # Its identity: mail to these addresses is its work; its replies sign with this.
    addresses: list[str] = Field(default_factory=list)
    # Chat channels it owns: "telegram" (the whole channel) or "slack:C0123" (one thread).
    chats: list[str] = Field(default_factory=list)
    from_name: str = ""
    signature: str = ""
    supervisor: str = OWNER  # another department's name, or "owner"
    front: bool = False  # gets what no department owns (the owner's commands, the digest)
    # Stage -> the [models.<name>] it calls; a stage not named runs without a model.
    models: dict[Stage, str] = Field(default_factory=dict)
    daily_budget: float | None = Field(default=None, ge=0)  # model spend per day

    @field_validator("addresses")
    @classmethod
    def _lower(cls, value: list[str]) -> list[str]:
        return [a.strip().lower() for a in value]


def valid_name(name: str) -> bool:
    """A department name is also a folder and an address part: keep it plain."""
    return bool(_NAME.fullmatch(name)) and name != OWNER


def problems(
    departments: dict[str, DepartmentSettings],
    models: dict[str, ModelEndpoint],
    channels: tuple[str, ...] = (),
) -> list[tuple[str, str]]:
    """(dotted key, what is wrong) for an organisation that cannot work: an unknown
    supervisor or model, a supervision cycle, an address two departments claim, a
    channel named like the internal one hand-offs travel on."""
    found: list[tuple[str, str]] = []
    if departments and "departments" in channels:
        found.append(("channels.departments", "the name is taken by the channel hand-offs travel on"))
    claimed: dict[str, str] = {}
    for name, dept in departments.items():
        if not valid_name(name):
            found.append((f"departments.{name}", "a department name is lower-case letters, digits, - or _"))
        if dept.supervisor != OWNER and dept.supervisor not in departments:
            found.append((f"departments.{name}.supervisor", f"no department named {dept.supervisor!r}"))
        for stage, model in dept.models.items():
            if model not in models:
                found.append((f"departments.{name}.models.{stage}", f"no [models.{model}] section"))
        for address in dept.addresses:
            if address in claimed:
                found.append((f"departments.{name}.addresses", f"{address} is already {claimed[address]}'s"))
            claimed[address] = name
    fronts = [n for n, d in departments.items() if d.front]
    if len(fronts) > 1:
        found.append((f"departments.{fronts[1]}.front", f"only one front department ({fronts[0]} is one)"))
    for name in departments:
        seen = [name]
        current = departments[name].supervisor
        while current in departments:
            if current in seen:
                chain = " -> ".join([*seen, current])
                found.append((f"departments.{name}.supervisor", f"supervision goes in a circle: {chain}"))
                break
            seen.append(current)
            current = departments[current].supervisor
    return found
