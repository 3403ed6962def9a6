"""`deputy check`: refuse a setup that cannot work, before the daemon meets it. Each
problem names the file (and the line, where config has one) and the key."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Coroutine
from pathlib import Path
from typing import Any

from bot.channels.contract import ConnectorRuntime
from bot.channels.registry import ChannelRegistry
from bot.config import Settings, line_of
from bot.errors import ConfigError
from bot.mcp_check import check_mcp
from bot.owner import OwnerProfile
from bot.rules.model import Rule, When


def check(settings: Settings) -> int:
    from bot.rules import load_rulebook

    book = load_rulebook(settings.rules_dir)  # raises ConfigError with file:line: key
    registry = ChannelRegistry.from_settings(settings)
    _check_owner_channels(settings, registry, book.owner)
    _check_secrets(settings, registry, book.owner)
    check_mcp(settings, book.rules)
    _check_console(settings)
    _check_rule_calendars(settings, registry, book.rules)
    channels = registry.configured()
    print(f"config OK: {settings.source}")
    print(
        f"rules OK: {len(book.rules)} rules from {settings.rules_dir}; owner {book.owner.name} "
        f"(preferred channel {book.owner.preferred_channel})"
    )
    if settings.departments:
        from bot.departments.checks import check_departments

        for line in check_departments(settings):
            print(line)
    for name, peer in settings.peers.items():
        print(f"peer OK: {name} ({', '.join(peer.addresses)}; secret in {peer.secret_env})")
    standing = _check_standing_tasks(settings.rules_dir / "tasks.toml")
    if standing is not None:
        print(f"standing tasks OK: {standing} in {settings.rules_dir / 'tasks.toml'}")
    for warning in pattern_warnings(book.rules):
        print(f"warning: {warning}")
    print(f"channels: {', '.join(channels) or 'none'} (+ cli)")
    servers = [f"{n} ({'stdio' if c.command else 'http'})" for n, c in settings.mcp.items() if c.enabled]
    if servers or settings.mcp_server.enabled:
        served = f"; serving on 127.0.0.1:{settings.mcp_server.port}" if settings.mcp_server.enabled else ""
        print(f"mcp: {', '.join(servers) or 'no tool servers'}{served}")
    llm = settings.llm
    print(f"model: {f'{llm.model} at {llm.base_url}' if llm.enabled else 'none (rules-only)'}")
    if settings.console.enabled:
        print(f"console: {settings.console.base_url} (`deputy console` prints a login link)")
    return 0


def _check_console(settings: Settings) -> None:
    """The console's TLS files must exist and hold a certificate and its key."""
    import ssl

    from bot.config import line_of

    conf = settings.console
    if not conf.enabled or conf.tls_cert is None or conf.tls_key is None:
        return
    text = settings.source.read_text(encoding="utf-8-sig") if settings.source.is_file() else ""
    line = line_of(text, "console.tls_cert")
    where = f"{settings.source}:{line}" if line else str(settings.source)
    try:
        ssl.create_default_context(ssl.Purpose.CLIENT_AUTH).load_cert_chain(
            settings.resolve(conf.tls_cert), settings.resolve(conf.tls_key)
        )
    except (OSError, ssl.SSLError) as exc:
        raise ConfigError(f"{where}: console.tls_cert: cannot load the certificate and key: {exc}") from None


def _check_owner_channels(settings: Settings, registry: ChannelRegistry, owner: OwnerProfile) -> None:
    """The owner's preferred and fallback channels must exist and know the owner."""
    from bot.rules.loader import OWNER_FILE

    source = settings.rules_dir / OWNER_FILE
    problems = []
    if not source.is_file():
        # Without it the owner is "Owner" with no address and no identity: nobody's
        # answer or forward would count as the owner's.
        problems.append(f"{source}: missing: say who the owner is (name, emails, preferred_channel)")
    wanted = [("preferred_channel", owner.preferred_channel)]
    wanted += [("fallback_channels", name) for name in owner.fallback_channels]
    for key, name in wanted:
        if name not in registry:
            problems.append(f"{source}: {key}: channel {name!r} is not configured in {settings.source}")
        elif not registry.reaches_owner(name, owner):
            ident = registry.capabilities(name).owner_key
            problems.append(
                f"{source}: {key}: channel {name!r} cannot reach the owner: identities.{ident} is not set"
            )
    if problems:
        raise ConfigError("\n".join(problems))


def _check_rule_calendars(settings: Settings, registry: ChannelRegistry, rules: tuple[Rule, ...]) -> None:
    """A rule's calendar.channel must be a configured CalDAV channel: otherwise every
    booking and every answer to an invitation would fail at delivery."""
    problems = []
    for rule in rules:
        spec = rule.header.calendar
        channel = registry.get(spec.channel) if spec is not None else None
        if spec is not None and (channel is None or channel.type != "caldav" or not channel.configured):
            problems.append(
                f"{rule.path}: calendar.channel: {spec.channel!r} is no caldav channel in {settings.source}"
            )
    if problems:
        raise ConfigError("\n".join(problems))


class _NoState:
    """Connectors are built, never started, by the check: no state is read or written."""

    async def get(self, key: str) -> str | None:
        return None

    async def set(self, key: str, value: str) -> None:
        return None


def _check_secrets(settings: Settings, registry: ChannelRegistry, owner: OwnerProfile) -> None:
    """Every configured channel is built as the daemon builds it (without starting it),
    so a secret whose environment variable is missing is named now, not at ``deputy run``.
    All missing ones are reported at once, each with its config key."""
    problems: list[str] = []
    for name in registry.configured():
        runtime = ConnectorRuntime(
            name=name,
            data_dir=settings.data_dir,
            owner=owner,
            state=_NoState(),
            own_addresses=tuple(a.lower() for a in settings.deputy.addresses),
            spawn=_no_spawn,
        )
        try:
            conf = registry.settings_for(settings, name)
            registry.module(name).create(name=name, settings=conf, runtime=runtime)
        except ConfigError as exc:
            problems.append(f"{settings.source}: {exc}")
    problems += _peer_secrets(settings)
    llm = settings.llm
    if llm.enabled and llm.api_key_env and not os.environ.get(llm.api_key_env) and not _local(llm.base_url):
        problems.append(
            f"{settings.source}: llm.api_key_env: environment variable {llm.api_key_env} is not set"
        )
    if problems:
        raise ConfigError("\n".join(problems))


def _peer_secrets(settings: Settings) -> list[str]:
    """A peer whose secret is not in the environment could neither sign nor verify."""
    text = settings.source.read_text(encoding="utf-8-sig") if settings.source.is_file() else ""
    out = []
    for name, peer in settings.peers.items():
        if not os.environ.get(peer.secret_env):
            key = f"peers.{name}.secret_env"
            number = line_of(text, key)
            where = f"{settings.source}:{number}" if number else str(settings.source)
            out.append(f"{where}: {key}: environment variable {peer.secret_env} is not set")
    return out


def _local(base_url: str) -> bool:
    """A model server on this machine usually needs no key (llama.cpp, Ollama, vLLM)."""
    host = base_url.split("://", 1)[-1].split("/", 1)[0].rsplit(":", 1)[0]
    return host in ("localhost", "127.0.0.1", "[::1]")


def _no_spawn(coro: Coroutine[Any, Any, Any], name: str) -> asyncio.Task[Any]:
    coro.close()
    raise RuntimeError(f"deputy check starts nothing ({name})")


def _check_standing_tasks(path: Path) -> int | None:
    """None when there is no rules/tasks.toml; raises ConfigError when it is broken."""
    from bot.tasks.model import read_standing_tasks

    return len(read_standing_tasks(path)) if path.is_file() else None


def pattern_warnings(rules: tuple[Rule, ...]) -> list[str]:
    """Patterns that are not linear-time safe: they run on the backtracking engine
    under a time limit, and one that runs out of it does not match (``bot.rules.pattern``)."""
    from bot.rules.pattern import TIME_LIMIT_SECONDS, owner_pattern

    out = []
    for rule in rules:
        groups = [("when", rule.header.when)]
        groups += [(f"ask_when[{i}]", when) for i, when in enumerate(rule.header.ask_when)]
        for prefix, when in groups:
            for key, text in _patterns(when, prefix):
                compiled = owner_pattern(text)
                if not compiled.linear:
                    out.append(
                        f"{rule.path}: {key}: {text!r} is not linear-time safe ({compiled.why}): it runs"
                        f" under a {TIME_LIMIT_SECONDS * 1000:.0f} ms limit; past it, it does not match"
                    )
    return out


def _patterns(when: When, prefix: str) -> list[tuple[str, str]]:
    found = [(f"{prefix}.{k}", v) for k, v in (("subject", when.subject), ("body", when.body)) if v]
    found += [(f"{prefix}.header.{name}", v) for name, v in when.header.items() if v]
    for group, items in (("any", when.any), ("none", when.none)):
        for index, inner in enumerate(items):
            found += _patterns(inner, f"{prefix}.{group}[{index}]")
    return found
