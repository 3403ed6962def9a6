"""Cheap, deterministic routing before any judgment, in a fixed order (DESIGN.md, 3):
own messages, loop etiquette, owner detection (answers and commands), rule selection.

Duplicates never get here: the inbox drops a second copy of an event id on insert.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date

from bot.effects.escalation import parse_button_data
from bot.events import Event
from bot.facts import NO_FACTS, Facts
from bot.first_char import guarded
from bot.peers.intake import PeerIntake
from bot.pipeline.etiquette import is_mail, no_reply_reason
from bot.pipeline.facts_reader import FactsReader
from bot.rules.matcher import select
from bot.rules.model import Rule, Rulebook
from bot.store import Escalation, Escalations, Known


@dataclass(frozen=True, slots=True)
class Drop:
    reason: str


@dataclass(frozen=True, slots=True)
class Refuse:
    """Someone who is not the verified owner tried to act with the owner's authority."""

    reason: str


@dataclass(frozen=True, slots=True)
class Answer:
    escalation: Escalation
    text: str
    option: int | None
    via: str


@dataclass(frozen=True, slots=True)
class Command:
    name: str  # pending | pause | resume | digest | help | undo | pause_task | resume_task | cancel_task
    arg: str = ""


@dataclass(frozen=True, slots=True)
class Instruction:
    """The owner said something that is not a command: needs a model to understand."""

    text: str


@dataclass(frozen=True, slots=True)
class Judge:
    event: Event  # may differ from the inbound event (an owner's forward -> the original)
    rules: tuple[Rule, ...]
    no_reply: str | None = None  # etiquette: rules may file, never reply
    owner_note: str = ""  # the owner's instruction that came with a forward
    facts: Facts = NO_FACTS  # what the message says (bot.facts), read before selection
    known: Known = field(default_factory=Known)  # what the store knows of its thread and sender
    notes: tuple[str, ...] = ()  # a facts model's: what it proposed that was taken or dropped


@dataclass(frozen=True, slots=True)
class Scheduled:
    kind: str  # digest_due | timer_due


Route = Drop | Refuse | Answer | Command | Instruction | Judge | Scheduled

_COMMANDS = {
    "pending": "pending",
    "status": "pending",
    "inbox": "pending",
    "what is pending": "pending",
    "what's pending": "pending",
    "pause": "pause",
    "stop": "pause",
    "resume": "resume",
    "continue": "resume",
    "start": "resume",
    "digest": "digest",
    "help": "help",
    "/help": "help",
    "/start": "help",
    "/pending": "pending",
    "/pause": "pause",
    "/resume": "resume",
}


class Router:
    def __init__(
        self,
        *,
        escalations: Escalations,
        own_addresses: frozenset[str],
        facts: FactsReader,
        peers: PeerIntake | None = None,
    ) -> None:
        self.escalations = escalations
        self.own_addresses = own_addresses
        self.facts = facts
        self.peers = peers

    async def route(self, event: Event, rulebook: Rulebook, *, today: date) -> Route:
        if event.kind in ("digest_due", "timer_due", "notice"):
            return Scheduled(event.kind)
        if event.sender.lower() in self.own_addresses or event.refs.get("from_self") == "1":
            return Drop("our own message")
        if event.refs.get("owner_forward") == "1":
            return Drop("the owner forwarded a chat message: a note, never a command")
        if event.refs.get("owner_not_addressed") == "1":
            return Drop("the owner's mail was addressed to someone else: not a command")
        if self.peers is not None and event.kind == "message" and is_mail(event):
            # A trusted peer's signed mail is a person's for RFC 3834 (bot/peers), and
            # only for that: it is judged below as any correspondent's.
            event = await self.peers.read(event)
        answer = await self._answer(event)
        if answer is not None:
            if not event.sender_verified_owner:
                return Refuse(f"answer to escalation #{answer.escalation.id} from an unverified sender")
            return answer
        if event.refs.get("button_data") and not event.sender_verified_owner:
            return Refuse("button press from an unverified sender")
        if event.kind in ("owner_message", "owner_answer"):
            if not event.sender_verified_owner:
                return Refuse("owner message from an unverified sender")
            return await self._owner(event, rulebook, today=today)
        addresses = self.own_addresses | frozenset(rulebook.owner.emails)
        no_reply = no_reply_reason(event, our_addresses=addresses)
        judged = await self._judge(event, rulebook, today=today, no_reply=no_reply)
        if event.kind == "tool_result" and not judged.rules:
            # The answer to a call Deputy made: recorded, and acted on only by a rule
            # that asks for it (when.tool); never a question to the owner by itself.
            return Drop(f"result of {event.refs.get('tool', 'a tool')}: no rule with when.tool")
        return judged

    async def _judge(
        self, event: Event, rulebook: Rulebook, *, today: date, no_reply: str | None = None, note: str = ""
    ) -> Judge:
        reading = await self.facts.read(event, today=today)
        auto = reading.facts.auto
        if no_reply is None and not note and auto and is_mail(event):
            # The facts read the subject and the text in the languages we meet; many
            # out-of-office notices set no RFC 3834 header and keep a "Re:" subject.
            no_reply = f"{auto.replace('_', '-')}, told by its subject and text (RFC 3834 2)"
        rules = tuple(select(rulebook, event, today=today, facts=reading.facts))
        return Judge(
            event=event,
            rules=rules,
            no_reply=no_reply,
            owner_note=note,
            facts=reading.facts,
            known=reading.known,
            notes=reading.notes,
        )

    async def escalation_of(self, event: Event) -> Escalation | None:
        """The escalation ``event`` answers, if any: departments send an answer to the
        department that asked (bot/departments)."""
        answer = await self._answer(event)
        return answer.escalation if answer is not None else None

    async def _answer(self, event: Event) -> Answer | None:
        refs = event.refs
        data = refs.get("button_data", "")
        if data:
            parsed = parse_button_data(data)
            if parsed is None:
                return None
            esc_id, nonce, option = parsed
            esc = await self.escalations.get(esc_id)
            if esc is None or esc.nonce != nonce:
                return None  # forged or unknown: not an answer (and Refuse below if unverified)
            return Answer(esc, text="", option=option, via=event.channel)
        esc = None
        if refs.get("draft_message_id"):  # the owner's mailbox: a draft sent or deleted there
            found = await self.escalations.by_prompt_ref(event.channel, refs["draft_message_id"])
            return (
                Answer(found, text=event.text, option=None, via=f"{event.channel} mailbox") if found else None
            )
        if refs.get("escalation_id") and event.channel == "cli":
            esc = await self.escalations.get(int(refs["escalation_id"]))
        # "#N answer" names the question explicitly: it wins over reply threading, which
        # for a batched reminder points at only one of the questions.
        if esc is None and event.sender_verified_owner:
            match = re.match(r"^\s*(?:answer\s+)?#(\d+)\s*[:.-]?\s*(.*)$", event.text, re.S | re.I)
            if match:
                esc = await self.escalations.get(int(match[1]))
                if esc is not None:
                    return Answer(esc, text=match[2].strip(), option=None, via=event.channel)
        # A chat reply counts as an answer only from the verified owner: message ids are
        # unique per chat only, so a stranger's reply must never be mistaken for one.
        if esc is None and refs.get("reply_to") and event.sender_verified_owner:
            esc = await self.escalations.by_prompt_ref(event.channel, refs["reply_to"])
        if esc is None and refs.get("in_reply_to"):
            esc = await self.escalations.by_prompt_ref_any(refs["in_reply_to"])
        if esc is None:
            return None
        return Answer(esc, text=_strip_quoted(event.text), option=None, via=event.channel)

    async def _owner(self, event: Event, rulebook: Rulebook, *, today: date) -> Route:
        refs = event.refs
        if refs.get("forwarded_from"):
            original = Event(
                id=f"{event.id}#forwarded",
                channel=event.channel,
                kind="message",
                thread=refs.get("forwarded_message_id") or f"fwd-{event.id}",
                sender=refs["forwarded_from"].lower(),
                sender_name=refs.get("forwarded_name", ""),
                received_at=event.received_at,
                recipients=tuple(rulebook.owner.emails[:1]) or tuple(sorted(self.own_addresses))[:1],
                subject=refs.get("forwarded_subject", ""),
                text=refs.get("forwarded_text", ""),
                refs={
                    "channel_type": refs.get("channel_type", "email"),
                    "message_id": refs.get("forwarded_message_id", ""),
                    "references": refs.get("forwarded_message_id", ""),
                    "forwarded_by_owner": "1",
                    # Filing acts on the message we hold: the owner's forward.
                    **{k: v for k, v in refs.items() if k in ("path", "uid", "mailbox", "uidvalidity")},
                },
            )
            return await self._judge(original, rulebook, today=today, note=event.text.strip())
        text = event.text.strip()
        command = _COMMANDS.get(text.lower().rstrip("?!. "))
        if command:
            return Command(command)
        undo = re.fullmatch(r"/?undo\s+#?(\d+)", text, re.I)
        if undo:
            return Command("undo", undo[1])
        # "pause task 12" / "resume task #12" / "cancel task 12": in a mail, the owner's own
        # words (quoted lines and the signature aside), or the subject of an empty one.
        words = _own_words(text) or (event.subject.strip() if not text else "")
        one = _TASK_COMMAND.fullmatch(words.rstrip(".! "))
        if one:
            return Command(f"{one[1].lower()}_task", one[2])
        return Instruction(text)


_TASK_COMMAND = guarded(r"/?(pause|resume|cancel)\s+task\s+#?(\d+)", re.I)


def _own_words(text: str) -> str:
    """What the owner wrote above a quote and a signature ("-- " line, RFC 3676 4.3)."""
    kept = []
    for line in _strip_quoted(text).splitlines():
        if line.rstrip() in ("--", "-- "):
            break
        kept.append(line)
    return "\n".join(kept).strip()


def _strip_quoted(text: str) -> str:
    """The owner's own words from a reply: drop quoted lines and the attribution line."""
    kept = []
    for line in text.splitlines():
        if line.startswith(">"):
            continue
        # RFC 3676 4.3: the signature separator is "-- "; many clients drop its trailing blank.
        if re.match(r"^On .+ wrote:\s*$", line) or line.rstrip() == "--":
            break
        kept.append(line)
    return "\n".join(kept).strip()
