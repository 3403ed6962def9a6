"""Read rules/*.md into a Rulebook, or fail naming the file, the line or key, and why.

A rule is never silently dropped: every broken file is reported, and loading fails as a
whole, because a half-loaded rulebook would quietly change what Deputy does.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from bot.errors import ConfigError
from bot.owner import OwnerProfile
from bot.rules.model import Rule, Rulebook, RuleHeader
from bot.rules.template import problems as template_problems

FENCE = "+++"
OWNER_FILE = "owner.md"
SKIPPED = {"README.md"}


class OwnerHeader(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = "Owner"
    emails: list[str] = Field(default_factory=list)
    timezone: str = "UTC"
    preferred_channel: str = "cli"
    fallback_channels: list[str] = Field(default_factory=list)
    signature: str = ""
    # identities.<owner_key> = id: how each channel recognises the owner.
    identities: dict[str, int | str] = Field(default_factory=dict)
    # The old spellings, still read into identities (telegram, slack, slack_team).
    telegram_user_id: int | None = None
    slack_user_id: str = ""
    slack_team_id: str = ""
    digest_time: str = "08:00"
    quiet_hours: list[str] | None = None

    @field_validator("identities")
    @classmethod
    def _identities(cls, value: dict[str, int | str]) -> dict[str, int | str]:
        for key, ident in value.items():
            if not key.isidentifier():
                raise ValueError(f"{key!r}: expected a channel key such as telegram or slack")
            if isinstance(ident, bool) or not str(ident).strip():
                raise ValueError(f"{key}: expected a non-empty id")
        return value

    def identity_map(self) -> dict[str, str]:
        ids = {k: str(v).strip() for k, v in self.identities.items()}
        old = {
            "telegram": str(self.telegram_user_id) if self.telegram_user_id is not None else "",
            "slack": self.slack_user_id,
            "slack_team": self.slack_team_id,
        }
        for key, value in old.items():
            if value:
                ids.setdefault(key, value)
        return ids

    @field_validator("timezone")
    @classmethod
    def _tz(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {value!r}") from None
        return value

    @field_validator("digest_time")
    @classmethod
    def _hhmm(cls, value: str) -> str:
        if not re.fullmatch(r"([01]\d|2[0-3]):[0-5]\d", value):
            raise ValueError("expected HH:MM (24-hour)")
        return value

    @field_validator("quiet_hours")
    @classmethod
    def _quiet(cls, value: list[str] | None) -> list[str] | None:
        if value is not None and (
            len(value) != 2 or not all(re.fullmatch(r"([01]\d|2[0-3]):[0-5]\d", v) for v in value)
        ):
            raise ValueError('expected ["HH:MM", "HH:MM"]')
        return value


def split_front_matter(path: Path, text: str) -> tuple[str, str, int]:
    """Return (header, body, line number where the header starts)."""
    lines = text.splitlines()
    if not lines or lines[0].strip() != FENCE:
        raise ConfigError(f"{path}:1: expected the TOML header to open with '+++' on line 1")
    for index in range(1, len(lines)):
        if lines[index].strip() == FENCE:
            return "\n".join(lines[1:index]), "\n".join(lines[index + 1 :]).strip(), 2
    raise ConfigError(f"{path}: the TOML header opened on line 1 is never closed with '+++'")


def _toml_error(path: Path, exc: tomllib.TOMLDecodeError, first_line: int) -> ConfigError:
    message = str(exc)
    match = re.search(r"\(at line (\d+), column (\d+)\)", message)
    if match:
        line = int(match[1]) + first_line - 1
        reason = message[: match.start()].strip()
        return ConfigError(f"{path}:{line}: invalid TOML: {reason} (column {match[2]})")
    return ConfigError(f"{path}: invalid TOML: {message}")


def _key_line(header: str, loc: tuple[Any, ...], first_line: int) -> str:
    """Best effort: the line where the offending key is written, for the error message."""
    names = [str(p) for p in loc if isinstance(p, str)]
    for leaf in reversed(names):
        pattern = re.compile(rf"^\s*(?:[\w.\"]*\.)?\"?{re.escape(leaf)}\"?\s*=|[{{,]\s*{re.escape(leaf)}\s*=")
        for offset, line in enumerate(header.splitlines()):
            if pattern.search(line):
                return f":{first_line + offset}"
    return ""


def _validation_errors(
    path: Path, exc: ValidationError, header: str, first: int, *, skip: tuple[tuple[str, ...], ...] = ()
) -> list[str]:
    out = []
    for err in exc.errors():
        loc = tuple(p for p in err["loc"] if not str(p).startswith("function-"))
        if loc in skip:
            continue
        key = ".".join(str(p) for p in loc) or "(header)"
        line = _key_line(header, loc, first)
        if err["type"] == "extra_forbidden":
            out.append(f"{path}{line}: {key}: unknown key")
        else:
            msg = err["msg"].removeprefix("Value error, ")
            out.append(f"{path}{line}: {key}: {msg}")
    return out


TEMPLATE_KEYS = (("reply", "template"), ("follow_up", "template"))


def _template_errors(path: Path, raw: dict[str, Any], header: str, first: int) -> list[str]:
    """Each unknown placeholder and malformed ``$`` in the rule's templates, on the line
    where it is written: a template is sent unread, so a typo must stop ``deputy check``."""
    out = []
    for table, leaf in TEMPLATE_KEYS:
        section = raw.get(table)
        template = section.get(leaf) if isinstance(section, dict) else None
        if not isinstance(template, str):
            continue
        for problem in template_problems(template):
            line = _token_line(header, (table, leaf), problem.token, first)
            out.append(f"{path}{line}: {table}.{leaf}: {problem.message}")
    return out


def _token_line(header: str, loc: tuple[str, ...], token: str, first: int) -> str:
    """The line of ``token`` at or after the line of the key ``loc``; else the key's."""
    key = _key_line(header, loc, first)
    start = int(key[1:]) - first if key else 0
    for offset, line in enumerate(header.splitlines()[start:], start=start):
        if token in line:
            return f":{first + offset}"
    return key


def parse_rule(path: Path, text: str, *, learned: bool = False) -> Rule:
    header_text, body, first = split_front_matter(path, text)
    try:
        raw = tomllib.loads(header_text)
    except tomllib.TOMLDecodeError as exc:
        raise _toml_error(path, exc, first) from None
    errors = _template_errors(path, raw, header_text, first)
    header: RuleHeader | None = None
    try:
        header = RuleHeader.model_validate(raw)
    except ValidationError as exc:
        # The templates' problems are reported above, each on its own line.
        errors += _validation_errors(path, exc, header_text, first, skip=TEMPLATE_KEYS if errors else ())
    if errors or header is None:
        raise ConfigError("\n".join(errors))
    return Rule(name=header.name or path.stem, path=path, header=header, instructions=body, learned=learned)


def parse_owner(path: Path, text: str) -> OwnerProfile:
    header_text, body, first = split_front_matter(path, text)
    try:
        raw = tomllib.loads(header_text)
    except tomllib.TOMLDecodeError as exc:
        raise _toml_error(path, exc, first) from None
    try:
        h = OwnerHeader.model_validate(raw)
    except ValidationError as exc:
        raise ConfigError("\n".join(_validation_errors(path, exc, header_text, first))) from None
    return OwnerProfile(
        name=h.name,
        emails=tuple(e.lower() for e in h.emails),
        timezone=h.timezone,
        preferred_channel=h.preferred_channel,
        fallback_channels=tuple(h.fallback_channels),
        signature=h.signature,
        tone=body,
        identities=h.identity_map(),
        digest_time=h.digest_time,
        quiet_hours=(h.quiet_hours[0], h.quiet_hours[1]) if h.quiet_hours else None,
    )


def load_rulebook(rules_dir: Path, *, extra_rules: tuple[Rule, ...] = ()) -> Rulebook:
    """Load owner.md and every other *.md (learned rules come in as ``extra_rules``)."""
    if not rules_dir.is_dir():
        raise ConfigError(f"{rules_dir}: rules directory not found")
    errors: list[str] = []
    owner = OwnerProfile()
    rules: list[Rule] = []
    sources: list[Path] = []
    for path in sorted(rules_dir.glob("*.md")):
        if path.name in SKIPPED:
            continue
        sources.append(path)
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            errors.append(f"{path}: cannot read: {exc}")
            continue
        try:
            if path.name == OWNER_FILE:
                owner = parse_owner(path, text)
            else:
                rules.append(parse_rule(path, text))
        except ConfigError as exc:
            errors.append(str(exc))
    names: dict[str, Path] = {}
    for rule in rules:
        if rule.name in names:
            errors.append(f"{rule.path}: name: {rule.name!r} is already used by {names[rule.name]}")
        names[rule.name] = rule.path
    if errors:
        raise ConfigError("\n".join(errors))
    ordered = sorted([*rules, *extra_rules], key=lambda r: (-r.header.priority, not r.learned, str(r.path)))
    return Rulebook(owner=owner, rules=tuple(r for r in ordered if r.header.enabled), sources=tuple(sources))
