"""The organisation as declared: departments in config order, who supervises whom, and
which department an event belongs to.

Routing in is by where the event arrived: a hand-off names its department; mail belongs
to the department whose address it was sent to; a chat to the department that owns the
channel (or one thread of it). What no department owns goes to the front department
(else the first declared), which may triage it by its rules and hand it off.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.config import Settings
from bot.departments.handoff import Role
from bot.departments.settings import OWNER, DepartmentSettings
from bot.events import Event


@dataclass(frozen=True, slots=True)
class Organisation:
    departments: dict[str, DepartmentSettings]

    @classmethod
    def of(cls, settings: Settings) -> Organisation:
        return cls(dict(settings.departments))

    @property
    def home(self) -> str:
        """The front department: the owner's commands, the digest, unowned work."""
        return next((n for n, d in self.departments.items() if d.front), next(iter(self.departments)))

    def chain_to_owner(self, name: str) -> tuple[str, ...]:
        chain = [name]
        current = self.departments[name].supervisor
        while current != OWNER and current not in chain:
            chain.append(current)
            current = self.departments[current].supervisor
        return (*chain, OWNER)

    def role(self, name: str, *, own: tuple[str, ...] = ()) -> Role:
        """``own``: Deputy's own addresses; a department's From is its first one of them
        (a relay accepts mail only from the addresses it knows)."""
        dept = self.departments[name]
        address = next((a for a in dept.addresses if a in own), "")
        return Role(
            name=name,
            supervisor=dept.supervisor,
            chain_to_owner=self.chain_to_owner(name),
            address=address,
            from_name=dept.from_name if address else "",
        )

    def owning(self, event: Event) -> str | None:
        """The department that owns the place ``event`` arrived at, if one does."""
        named = event.refs.get("department", "")
        if named in self.departments:
            return named
        recipients = [r.lower() for r in event.recipients]
        for address in recipients:  # To before Cc, as the connector lists them
            for name, dept in self.departments.items():
                if address in dept.addresses:
                    return name
        for name, dept in self.departments.items():
            for chat in dept.chats:
                channel, _, thread = chat.partition(":")
                if channel == event.channel and (not thread or thread == event.thread):
                    return name
        return None

    def department_of(self, event: Event) -> str:
        return self.owning(event) or self.home
