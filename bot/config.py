"""Typed, validated settings from config.toml.

Validation is pydantic's; this module only turns its errors into one line per problem
that names the file, the dotted key and what was expected. Secrets never live here: a
``*_env`` key names the environment variable that holds one.
"""

from __future__ import annotations

import importlib
import re
import tomllib
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)

from bot.departments.settings import DepartmentSettings, ModelEndpoint
from bot.departments.settings import problems as organisation_problems
from bot.errors import ConfigError
from bot.peers.settings import PeerSettings

_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}


def parse_duration(value: object) -> float:
    """Seconds from ``"90s"``, ``"30m"``, ``"4h"``, ``"5d"``, ``"1w"`` or a number of seconds."""
    if isinstance(value, bool):
        raise ValueError("expected a duration like '30s', '30m', '4h', '5d'")
    if isinstance(value, int | float):
        seconds = float(value)
    else:
        match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([smhdw])\s*", str(value))
        if not match:
            raise ValueError(f"expected a duration like '30s', '30m', '4h', '5d', got {value!r}")
        seconds = float(match[1]) * _UNITS[match[2]]
    if seconds <= 0:
        raise ValueError("must be longer than zero")
    return seconds


Duration = Annotated[float, BeforeValidator(parse_duration)]  # seconds


class Strict(BaseModel):
    """Unknown keys are errors: a typo must never silently disable a setting."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class DeputySettings(Strict):
    data_dir: Path = Path("data")
    rules_dir: Path = Path("rules")
    # Deputy's own addresses: mail from them is our own; mail to none of them is not for us.
    addresses: list[str] = Field(default_factory=lambda: ["deputy@localhost"])
    # Domain for generated Message-IDs (RFC 5322 3.6.4).
    message_id_domain: str = "deputy.localhost"
    workers: int = Field(default=200, ge=1, le=1000)
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    event_loop: Literal["uvloop", "asyncio"] = "uvloop"  # uvloop falls back to asyncio when absent
    # Autonomy can be paused by the owner; this is the state at first start.
    paused: bool = False


class LimitsSettings(Strict):
    # Autonomous replies per thread per 24 h before Deputy stops and asks (bot-loop guard).
    replies_per_thread: int = Field(default=3, ge=0)
    # Autonomous messages per correspondent per 24 h (send budget).
    sends_per_correspondent: int = Field(default=10, ge=0)
    # A poison event is tried this many times, then quarantined.
    max_attempts: int = Field(default=3, ge=1, le=20)
    # Outbox: also give up on a delivery after this many transient failures (None: by
    # time only, [delivery] give_up_after).
    max_delivery_attempts: int | None = Field(default=None, ge=1)
    # Departments: how many hand-offs one piece of work may pass through (a loop guard).
    handoff_chain: int = Field(default=4, ge=1, le=20)


class DeliverySettings(Strict):
    """Retries by time, the way mail servers queue (Postfix: maximal_queue_lifetime 5d,
    delay_warning_time 4h): a relay that refuses for minutes or hours loses nothing."""

    give_up_after: Duration = 5 * 86400.0
    warn_after: Duration = 4 * 3600.0  # the owner is told once that a delivery is late
    # Backoff between tries, full jitter, growing from retry_min to retry_max. A short
    # start keeps chat replies quick after a blip; the cap keeps trying twice an hour.
    retry_min: Duration = 1.0
    retry_max: Duration = 1800.0


class LLMSettings(Strict):
    """Any OpenAI-compatible endpoint (OpenAI, Ollama, vLLM, llama.cpp server)."""

    enabled: bool = False
    base_url: str = "http://127.0.0.1:11434/v1"
    model: str = "llama3.1"
    api_key_env: str = "DEPUTY_LLM_API_KEY"
    timeout_seconds: float = Field(default=60.0, gt=0)
    max_retries: int = Field(default=2, ge=0, le=10)
    max_steps: int = Field(default=6, ge=1, le=50)
    max_concurrency: int = Field(default=200, ge=1)
    # Circuit breaker: after this many consecutive failures fall back to rules-only.
    breaker_failures: int = Field(default=5, ge=1)
    breaker_reset_seconds: float = Field(default=300.0, gt=0)
    # Price per million tokens, for the spend shown in the digest.
    price_in_per_mtok: float = Field(default=0.0, ge=0)
    price_out_per_mtok: float = Field(default=0.0, ge=0)

    @field_validator("base_url")
    @classmethod
    def _has_scheme(cls, value: str) -> str:
        # The client would otherwise take "localhost:11434/v1" as a relative path and
        # fail at the first event, not at start.
        if not re.match(r"^https?://[^/\s]+", value):
            raise ValueError("must start with http:// or https:// and name a host")
        return value


class EscalationSettings(Strict):
    deadline_hours: float = Field(default=48.0, gt=0)
    # Reminders before the deadline, in hours after the question was sent.
    reminders_hours: list[float] = Field(default_factory=lambda: [4.0, 24.0])


class DigestSettings(Strict):
    enabled: bool = True
    # Also send the digest as an HTML-plus-text email through this channel ("" = none).
    email_channel: str = ""


class McpServerSettings(Strict):
    """``[mcp.<name>]``: one MCP server whose tools rules may allow (connectors/mcp)."""

    enabled: bool = True
    command: list[str] = Field(default_factory=list)  # stdio: the server's command line
    url: str = ""  # streamable HTTP, e.g. "http://127.0.0.1:8000/mcp"
    # Secrets for the server, by name only: its env var -> the variable of ours holding it.
    env: dict[str, str] = Field(default_factory=dict)
    # HTTP: a bearer token for the server, from this environment variable ("" = none).
    token_env: str = ""
    timeout: Duration = 30.0  # one tool call
    ping_every: Duration = 10.0  # a server that stops answering is restarted (stdio)

    @field_validator("url")
    @classmethod
    def _http(cls, value: str) -> str:
        if value and not re.match(r"^https?://[^/\s]+", value):
            raise ValueError("must start with http:// or https:// and name a host")
        return value

    @model_validator(mode="after")
    def _one_transport(self) -> McpServerSettings:
        if bool(self.command) == bool(self.url):
            raise ValueError("give exactly one of 'command' (stdio) or 'url' (streamable HTTP)")
        return self


class McpServeSettings(Strict):
    """``[mcp_server]``: Deputy itself as an MCP server for other agents (opt-in)."""

    enabled: bool = False
    port: int = Field(default=8765, ge=0, le=65535)  # on 127.0.0.1 only
    token_env: str = "DEPUTY_MCP_TOKEN"  # clients send "Authorization: Bearer <token>"


LOOPBACK_HOSTS = ("127.0.0.1", "::1", "localhost")


class ConsoleSettings(Strict):
    """The owner's web console (bot/console), served by the daemon itself."""

    enabled: bool = False
    port: int = Field(default=8750, ge=0, le=65535)
    # A non-loopback host needs TLS (both files) or an explicit allow_public = true.
    allow_public: bool = False
    tls_cert: Path | None = None
    tls_key: Path | None = None
    login_minutes: float = Field(default=10.0, gt=0, le=1440)
    session_hours: float = Field(default=12.0, gt=0, le=24 * 30)
    host: str = "127.0.0.1"  # declared last: its check reads the fields above

    @field_validator("host")
    @classmethod
    def _loopback_unless_told(cls, host: str, info: ValidationInfo) -> str:
        cert, key = info.data.get("tls_cert"), info.data.get("tls_key")
        if (cert is None) != (key is None):
            raise ValueError("tls_cert and tls_key go together: set both or neither")
        if host not in LOOPBACK_HOSTS and cert is None and not info.data.get("allow_public"):
            raise ValueError(
                f"{host!r} is not a loopback address: set tls_cert and tls_key,"
                " or allow_public = true to serve the console without TLS on it"
            )
        return host

    @property
    def base_url(self) -> str:
        scheme = "https" if self.tls_cert is not None else "http"
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{scheme}://{host}:{self.port}"


Level = Literal["shadow", "draft", "auto"]


class AutonomySettings(Strict):
    """How far a rule may act on its own when its header does not say (``autonomy``):
    ``shadow`` decides and records only, ``draft`` prepares and asks, ``auto`` acts."""

    default: Level = "auto"
    # Unchanged draft approvals in a row after which Deputy proposes raising a rule to auto.
    promote_after: int = Field(default=20, ge=1)
    # The owner's edited drafts of a rule shown to the model when it writes the next one
    # (newest first); 0 = none.
    examples: int = Field(default=5, ge=0, le=50)


class Settings(Strict):
    deputy: DeputySettings = Field(default_factory=DeputySettings)
    limits: LimitsSettings = Field(default_factory=LimitsSettings)
    delivery: DeliverySettings = Field(default_factory=DeliverySettings)
    llm: LLMSettings = Field(default_factory=LLMSettings)
    escalation: EscalationSettings = Field(default_factory=EscalationSettings)
    digest: DigestSettings = Field(default_factory=DigestSettings)
    console: ConsoleSettings = Field(default_factory=ConsoleSettings)
    autonomy: AutonomySettings = Field(default_factory=AutonomySettings)
    # [channels.<name>]: each validated by its connector's own SETTINGS model.
    channels: dict[str, dict[str, Any]] = Field(default_factory=dict)
    mcp: dict[Annotated[str, Field(pattern=r"^[A-Za-z0-9_-]{1,64}$")], McpServerSettings] = Field(
        default_factory=dict
    )
    mcp_server: McpServeSettings = Field(default_factory=McpServeSettings)
    # [models.<name>] and [departments.<name>] (bot/departments): none = one implicit
    # department, Deputy as it always was.
    models: dict[str, ModelEndpoint] = Field(default_factory=dict)
    departments: dict[str, DepartmentSettings] = Field(default_factory=dict)
    # [peers.<name>] (bot/peers): other Deputy installations this one negotiates with by
    # mail, each with the environment variable of the secret both sides share.
    peers: dict[Annotated[str, Field(pattern=r"^[A-Za-z0-9_-]{1,64}$")], PeerSettings] = Field(
        default_factory=dict
    )

    # Set by load(); not a config key.
    source: Path = Field(default=Path("config.toml"), exclude=True)

    def resolve(self, path: Path) -> Path:
        """Relative paths in the config are relative to the config file."""
        return path if path.is_absolute() else (self.source.parent / path)

    @property
    def data_dir(self) -> Path:
        return self.resolve(self.deputy.data_dir)

    @property
    def rules_dir(self) -> Path:
        return self.resolve(self.deputy.rules_dir)

    @property
    def db_path(self) -> Path:
        return self.data_dir / "deputy.sqlite3"


def line_of(text: str, key: str) -> int | None:
    """The line where a dotted key (``llm.base_url``, ``channels.local.listen_port``) is
    set in a TOML file: its table header's section, then the key's own line. None when it
    cannot be placed (an inline table, a key that is missing)."""
    *tables, leaf = key.split(".")
    header = re.compile(r"^\s*\[\s*" + r"\s*\.\s*".join(map(re.escape, tables)) + r"\s*\]\s*(#.*)?$")
    assignment = re.compile(r"^\s*" + re.escape(leaf) + r"\s*=")
    inside = not tables
    for number, line in enumerate(text.splitlines(), start=1):
        if re.match(r"^\s*\[", line):
            inside = bool(tables) and header.match(line) is not None
            continue
        if inside and assignment.match(line):
            return number
    return None


def format_validation_error(source: str, exc: ValidationError, *, prefix: str = "") -> str:
    try:
        text = Path(source).read_text(encoding="utf-8-sig")
    except OSError:
        text = ""
    lines = []
    for err in exc.errors():
        key = prefix + ".".join(str(p) for p in err["loc"])
        number = line_of(text, key) if text else None
        where = f"{source}:{number}" if number else source
        if err["type"] == "extra_forbidden":
            lines.append(f"{where}: {key}: unknown key")
        elif err["type"] == "missing":
            lines.append(f"{where}: {key}: required key is missing")
        else:
            got = err.get("input")
            shown = f" (got {got!r})" if not isinstance(got, dict | list) else ""
            lines.append(f"{where}: {key}: {err['msg']}{shown}")
    return "\n".join(lines)


def load(path: Path) -> Settings:
    """Read and validate config.toml, and each enabled channel's section."""
    if not path.exists():
        raise ConfigError(f"{path}: config file not found")
    try:
        # utf-8-sig: a byte-order mark (some Windows editors write one) is not an error.
        raw = tomllib.loads(path.read_text(encoding="utf-8-sig"))
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: {exc}") from None
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{path}: not valid UTF-8: {exc}") from None
    try:
        settings = Settings.model_validate({**raw, "source": path})
    except ValidationError as exc:
        raise ConfigError(format_validation_error(str(path), exc)) from None
    found = organisation_problems(settings.departments, settings.models, tuple(settings.channels))
    found += peer_problems(settings)
    if found:
        text = path.read_text(encoding="utf-8-sig")
        lines = []
        for key, why in found:
            number = line_of(text, key)
            lines.append(f"{path}:{number}: {key}: {why}" if number else f"{path}: {key}: {why}")
        raise ConfigError("\n".join(lines))
    for name in settings.channels:
        channel_settings(settings, name)  # validate now, fail at start
    return settings


def peer_problems(settings: Settings) -> list[tuple[str, str]]:
    """A peer address that is Deputy's own, or two peers' (whose secret would verify it?)."""
    own = {a.lower() for a in settings.deputy.addresses}
    seen: dict[str, str] = {}
    out = []
    for name, peer in settings.peers.items():
        for address in peer.addresses:
            if address in own:
                out.append((f"peers.{name}.addresses", f"{address} is one of deputy.addresses"))
            elif address in seen:
                out.append((f"peers.{name}.addresses", f"{address} is also peer {seen[address]}'s"))
            seen.setdefault(address, name)
    return out


def connector_type(settings: Settings, name: str) -> str:
    section = settings.channels.get(name, {})
    kind = section.get("type", name)
    if not isinstance(kind, str) or not kind.isidentifier():
        raise ConfigError(f"{settings.source}: channels.{name}.type: expected a connector name")
    return kind


def load_connector_module(settings: Settings, name: str) -> Any:
    kind = connector_type(settings, name)
    try:
        return importlib.import_module(f"connectors.{kind}")
    except ModuleNotFoundError as exc:
        if exc.name == f"connectors.{kind}":
            raise ConfigError(
                f"{settings.source}: channels.{name}.type: no connector named {kind!r}"
            ) from None
        raise


def channel_settings(settings: Settings, name: str) -> BaseModel:
    module = load_connector_module(settings, name)
    section = {k: v for k, v in settings.channels[name].items() if k != "type"}
    try:
        model: BaseModel = module.SETTINGS.model_validate(section)
    except ValidationError as exc:
        raise ConfigError(
            format_validation_error(str(settings.source), exc, prefix=f"channels.{name}.")
        ) from None
    return model
