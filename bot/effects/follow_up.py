"""When a follow-up may be scheduled, and when a due one still makes sense.

A nudge ("just following up on my previous message") is only polite when there *is* a
previous message of ours that went unanswered by a person. So a follow-up needs all of:

- Deputy wrote in the thread (in the same decision or before): a nudge on a thread we
  never wrote in follows up on nothing;
- the mail was addressed to us (one of Deputy's or the owner's addresses in To): when
  we are only Cc'd or Bcc'd, the sender expects an answer from someone else, and chasing
  them for it is not ours to do;
- the mail is not machine-written: an out-of-office reply will never answer a nudge.

When the timer fires, the other side must still not have answered since we wrote: any
message in the thread from someone else than Deputy (the owner taking over counts), or a
reply to one of our Message-IDs that landed in another thread, cancels it; an
out-of-office in between is no answer.

One place for these, used by the judgment step (to say why in the audit), the executor
(whatever path an action comes by: a decision, an owner's answer, a deadline's default)
and the scheduled desk (timers written before these checks existed).
"""

from __future__ import annotations

from collections.abc import Iterable
from email.utils import getaddresses

from bot.automatic import automatic_reason
from bot.events import Event


def addressed_to(event: Event, addresses: Iterable[str]) -> bool:
    """One of ``addresses`` is in the mail's To (not only in Cc, not Bcc). Without a To
    header (a message built in the core), the recipients stand for it."""
    ours = {a.lower() for a in addresses if a}
    to_header = next((v for k, v in event.headers.items() if k.lower() == "to"), None)
    if to_header is not None:
        to = {addr.lower() for _, addr in getaddresses([to_header.replace("\n", ", ")]) if addr}
    else:
        to = {r.lower() for r in event.recipients}
    return bool(to & ours)


def refusal(event: Event, *, mail: bool, deputy_wrote: bool, addresses: Iterable[str]) -> str | None:
    """Why no follow-up may be scheduled for ``event``, or None when one may."""
    if not deputy_wrote:
        return "Deputy has not written in this thread"
    auto = automatic_reason(event)
    if auto:
        return f"the message is {auto}" if auto.startswith("an ") else f"automatic mail ({auto})"
    if mail and not addressed_to(event, addresses):
        return "the mail is not addressed to Deputy or the owner (only Cc/Bcc)"
    return None


def answers(events: Iterable[Event], *, own: Iterable[str]) -> list[Event]:
    """Of the messages that came after Deputy wrote, those that answer it: not our own
    copies, not machine-written mail."""
    mine = {a.lower() for a in own}
    return [e for e in events if e.sender.lower() not in mine and automatic_reason(e) is None]
