"""Rows addressed to the owner: questions, notices and prompt updates, on the owner's
channel of choice (a chat prompt with buttons, or a mail when that is the channel), held
over the quiet hours when nobody asked for them.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable

from bot.channels.registry import ChannelRegistry
from bot.config import Settings
from bot.delivery import OutboundMessage, message_id_for
from bot.effects.quiet_hours import quiet_until
from bot.owner import OwnerProfile
from bot.store import Outbox, OutboxRow, Tx

log = logging.getLogger("deputy")


class OwnerRows:
    def __init__(
        self, *, settings: Settings, channels: ChannelRegistry, clock: Callable[[], float] = time.time
    ) -> None:
        """``clock``: the daemon's wall clock (the one its scheduler compares due times with,
        so that a timer set here and the scheduler agree when the clock steps)."""
        self.settings = settings
        self.clock = clock
        self.channels = channels
        self.channel_types = channels.types  # connector name -> connector type
        self._unreachable_warned: set[str] = set()

    def owner_channel(self, owner: OwnerProfile, *, skip: tuple[str, ...] = ()) -> str:
        for name in (owner.preferred_channel, *owner.fallback_channels):
            if name not in self.channels or name in skip:
                continue
            if not self.channels.reaches_owner(name, owner):
                if name not in self._unreachable_warned:
                    self._unreachable_warned.add(name)
                    log.warning(
                        "owner channel %s skipped: rules/owner.md has no identities.%s",
                        name,
                        self.channels.capabilities(name).owner_key,
                    )
                continue
            return name
        return "cli"

    def _owner_delivery(
        self,
        *,
        owner: OwnerProfile,
        key: str,
        event_id: str,
        text: str,
        subject: str,
        escalation_id: int | None = None,
        buttons: tuple = (),
        channel: str | None = None,
        skip: tuple[str, ...] = (),
    ) -> OutboxRow:
        name = channel or self.owner_channel(owner, skip=skip)
        caps = self.channels.capabilities(name if name in self.channels else "cli")
        # Unsolicited questions and notices wait out the quiet hours; an answer on the
        # channel the owner just used does not (the owner is evidently awake). The
        # console log wakes nobody: holding it over the quiet hours only delays the file.
        hold = quiet_until(owner, now=self.clock()) if channel is None and caps.wakes_owner else 0.0
        if caps.mail and owner.emails:
            message = OutboundMessage(
                to=(owner.emails[0],),
                subject=subject,
                text=text,
                message_id=message_id_for(key, domain=self.settings.deputy.message_id_domain),
                auto_submitted=True,
                thread=f"deputy-owner-{escalation_id or 'notice'}",
            )
            return OutboxRow(
                key=key,
                event_id=event_id,
                connector=name,
                op="send",
                payload=message.to_payload(),
                thread=f"owner:{name}",
                recipient=owner.emails[0],
                autonomous=False,
                escalation_id=escalation_id,
                not_before=hold,
            )
        if not caps.prompts and not caps.mail:
            name = "cli"
        payload: dict[str, object] = {
            "escalation_id": escalation_id,
            "text": text,
            "subject": subject,
            "buttons": [{"label": b.label, "data": b.data} for b in buttons],
        }
        return OutboxRow(
            key=key,
            event_id=event_id,
            connector=name if name in self.channels else "cli",
            op="prompt",
            payload=payload,
            thread=f"owner:{name}",
            recipient="owner",
            autonomous=False,
            escalation_id=escalation_id,
            not_before=hold,
        )

    async def owner_notice_in(
        self,
        tx: Tx,
        *,
        owner: OwnerProfile,
        key: str,
        event_id: str,
        text: str,
        channel: str | None = None,
        escalation_id: int | None = None,
        skip: tuple[str, ...] = (),
    ) -> None:
        await Outbox.add_in(
            tx,
            self._owner_delivery(
                owner=owner,
                key=key,
                event_id=event_id,
                text=text,
                subject="Deputy: " + text.splitlines()[0][:80],
                channel=channel,
                escalation_id=escalation_id,
                skip=skip,
            ),
        )

    def update_prompt_row(
        self, *, key: str, event_id: str, connector: str, ref: str, text: str, receipt: str | None = None
    ) -> OutboxRow:
        """Edit a chat prompt to show the outcome; the prompt's receipt carries its address."""
        payload: dict[str, object] = {}
        if receipt:
            payload.update({k: v for k, v in json.loads(receipt).items() if k in ("chat_id", "channel")})
        payload.update({"prompt_ref": ref, "text": text})
        return OutboxRow(
            key=key,
            event_id=event_id,
            connector=connector,
            op="update_prompt",
            payload=payload,
            thread=f"owner:{connector}",
            recipient="owner",
            autonomous=False,
        )
