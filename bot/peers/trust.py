"""The configured peers with their secrets: signing what Deputy sends to one, and
verifying what one sends to Deputy.

Secrets are read from the environment once, at start; a missing variable is a
configuration error naming the key. The secrets never leave this object except into the
HMAC (and the log redactor, which must know them to hide them).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from email.utils import getaddresses

from bot.errors import ConfigError
from bot.events import Event
from bot.peers.settings import PeerSettings
from bot.peers.signature import HEADER, MailFields, sign, verify


@dataclass(frozen=True, slots=True)
class Verdict:
    """What the signature of one inbound mail says: ``ok`` with the ``peer``'s name, or
    the ``reason`` it does not count (no header, not a peer, a bad signature)."""

    peer: str = ""
    ok: bool = False
    reason: str = ""


@dataclass(frozen=True, slots=True)
class _Peer:
    name: str
    addresses: frozenset[str]
    secret: str
    max_age: float


class Peers:
    def __init__(self, peers: tuple[_Peer, ...] = ()) -> None:
        self._peers = peers
        self._by_address = {a: p for p in peers for a in p.addresses}

    @classmethod
    def from_settings(
        cls, settings: Mapping[str, PeerSettings], *, environ: Mapping[str, str] | None = None
    ) -> Peers:
        env = os.environ if environ is None else environ
        peers, missing = [], []
        for name, peer in settings.items():
            secret = env.get(peer.secret_env, "")
            if not secret:
                missing.append(f"peers.{name}.secret_env: environment variable {peer.secret_env} is not set")
                continue
            peers.append(_Peer(name, frozenset(peer.addresses), secret, peer.max_age_seconds))
        if missing:
            raise ConfigError("\n".join(missing))
        return cls(tuple(peers))

    def __bool__(self) -> bool:
        return bool(self._peers)

    @property
    def secrets(self) -> tuple[str, ...]:
        return tuple(p.secret for p in self._peers)

    def peer_of(self, address: str) -> str:
        """The peer an address belongs to, or ""."""
        found = self._by_address.get(address.strip().lower())
        return found.name if found else ""

    def sign(self, fields: MailFields, *, t: int) -> str | None:
        """The header value for a mail to a peer (the first peer among its recipients),
        or None when no recipient is a peer: strangers get no signature to collect."""
        for _, address in getaddresses(list(fields.to)):
            peer = self._by_address.get(address.strip().lower())
            if peer is not None:
                return sign(peer.secret, fields, t=t)
        return None

    def verify(self, event: Event) -> Verdict:
        """Does ``event`` carry a valid signature of the peer its From names? The window
        is counted from the mail's arrival (``arrival``), so a mail that waited while the
        daemon was down still counts, and the verdict is the same
        each time the event is handled."""
        value = _header(event, HEADER.lower())
        if not value:
            return Verdict(reason="no signature")
        peer = self._by_address.get(event.sender.lower())
        if peer is None:
            return Verdict(reason=f"{HEADER} header from {event.sender}, who is no configured peer")
        refs = event.refs
        fields = MailFields(
            message_id=refs.get("message_id", ""),
            date=refs.get("date", "") or _header(event, "date"),
            from_addr=event.sender,
            to=tuple(_header(event, "to").split("\n")),
            in_reply_to=refs.get("in_reply_to", ""),
            subject=event.subject,
            body=event.text,
        )
        why = verify(peer.secret, value, fields, now=arrival(event), max_age=peer.max_age)
        if why is not None:
            return Verdict(peer=peer.name, reason=f"{HEADER} of peer {peer.name}: {why}")
        return Verdict(peer=peer.name, ok=True)


def arrival(event: Event) -> float:
    """When the mail reached our mail server: its newest Received header (the parser's
    ``refs["arrived"]``, written by the receiving server itself), never later than when
    Deputy fetched it (``received_at``), which stands in when there is none."""
    fetched = event.received_at.timestamp()
    try:
        arrived = datetime.fromisoformat(event.refs.get("arrived", "")).timestamp()
    except ValueError:
        return fetched
    return min(arrived, fetched)


def _header(event: Event, name: str) -> str:
    value = event.headers.get(name, "")
    return value.split("\n")[0].strip() if name == HEADER.lower() else value
