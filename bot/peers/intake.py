"""The router's peer step: a verified peer's mail is read as a person's mail.

What is excused is RFC 3834's marking alone (``Auto-Submitted`` and Exchange's
``X-Auto-Response-Suppress``, which every Deputy sets on what it sends): the mail then
goes through every other loop check (lists, bounces, out-of-office wording, the reply
caps, the negotiation's rounds) and every rule and gate check as any correspondent's.
The original values are kept in ``refs`` for the audit. A replayed Message-ID, a bad or
stale signature, or a From that is no peer leaves the mail as it came: machine mail.
"""

from __future__ import annotations

import dataclasses
import logging

from bot.events import Event
from bot.peers.signature import HEADER
from bot.peers.trust import Peers, Verdict
from bot.store.peer_messages import PeerMessages

log = logging.getLogger("deputy.peers")

_EXCUSED = ("auto-submitted", "x-auto-response-suppress")


class PeerIntake:
    def __init__(self, peers: Peers, messages: PeerMessages) -> None:
        self.peers = peers
        self.messages = messages

    async def read(self, event: Event) -> Event:
        """``event`` as the rest of the router should see it."""
        if not self.peers or HEADER.lower() not in event.headers:
            return event
        verdict = self.peers.verify(event)
        if verdict.ok:
            message_id = event.refs.get("message_id", "")
            first = await self.messages.claim(message_id, peer=verdict.peer, event_id=event.id)
            if first != event.id:
                verdict = Verdict(peer=verdict.peer, reason=f"replay of {message_id} (first in {first})")
        if not verdict.ok:
            log.info("%s: not read as a peer's mail: %s", event.id, verdict.reason)
            return event
        return as_person(event, peer=verdict.peer)


def as_person(event: Event, *, peer: str) -> Event:
    headers = {k: v for k, v in event.headers.items() if k.lower() not in _EXCUSED}
    kept = {f"peer_{k.replace('-', '_')}": v for k, v in event.headers.items() if k.lower() in _EXCUSED}
    return dataclasses.replace(event, headers=headers, refs={**event.refs, **kept, "peer": peer})
