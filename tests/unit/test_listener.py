"""The local SMTP listener's protocol is aiosmtpd's, built without its per-connection
dir() scan (connectors/local/listener.py): it must come out with the same command,
AUTH and hook tables, or a command would be answered "not implemented"; and the heap
frozen after start-up (bot/heap.py) must not keep start-up's garbage."""

from __future__ import annotations

import gc

from aiosmtpd.smtp import SMTP, AuthResult, Envelope, Session

from bot import heap
from connectors.local.listener import ListenerSMTP


class Handler:
    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        return "250 OK"

    async def auth_CUSTOM(self, server: SMTP, args: list[str]) -> AuthResult:
        return AuthResult(success=False)


class WithACommand(ListenerSMTP):
    async def smtp_XHELLO(self, arg: str) -> None:
        await self.push("250 hello")


def _tables(protocol: SMTP) -> tuple[dict[str, object], dict[str, object], dict[str, object]]:
    auth = {name: (m.method.__func__, m.is_builtin) for name, m in protocol._auth_methods.items()}  # type: ignore[attr-defined]
    smtp = {name: method.__func__ for name, method in protocol._smtp_methods.items()}
    hooks = {name: hook.__func__ for name, hook in protocol._handle_hooks.items()}  # type: ignore[attr-defined]
    return auth, smtp, hooks


async def test_the_protocol_tables_are_aiosmtpds() -> None:
    for cheap in (ListenerSMTP(Handler()), WithACommand(Handler())):
        plain = SMTP(Handler())
        auth, smtp, hooks = _tables(cheap)
        want_auth, want_smtp, want_hooks = _tables(plain)
        if isinstance(cheap, WithACommand):
            assert smtp.pop("XHELLO") is WithACommand.smtp_XHELLO  # a subclass's command is found
        assert (auth, smtp, hooks) == (want_auth, want_smtp, want_hooks)
        assert {"EHLO", "MAIL", "RCPT", "DATA", "STARTTLS", "AUTH"} <= set(smtp)
        assert {"LOGIN", "PLAIN", "CUSTOM"} <= set(auth)
        # every bound method is bound to this connection's protocol, not a cached one
        assert all(method.__self__ is cheap for method in cheap._smtp_methods.values())


async def test_dir_answers_only_the_names_aiosmtpd_keeps() -> None:
    protocol = ListenerSMTP(Handler())
    names = dir(protocol)
    assert names and all(n.startswith(("auth_", "smtp_", "handle_")) for n in names)
    assert len(names) < len(object.__dir__(protocol)) / 4  # what made each connection cost


def test_freezing_keeps_what_is_alive_and_frees_start_ups_garbage() -> None:
    class Node:
        other: object = None

    alive = Node()
    garbage, partner = Node(), Node()
    garbage.other, partner.other = partner, garbage  # a cycle only a collection frees
    found = {id(garbage)}
    del garbage, partner
    try:
        frozen = heap.freeze()
        # Another thread (an earlier test's) may free frozen objects meanwhile: never more.
        assert frozen > 0 and 0 < gc.get_freeze_count() <= frozen
        assert not any(id(o) in found for o in gc.get_objects() if isinstance(o, Node))
        assert alive not in gc.get_objects()  # frozen: no longer walked by collections
    finally:
        heap.unfreeze()
    assert gc.get_freeze_count() == 0
    assert any(o is alive for o in gc.get_objects())
