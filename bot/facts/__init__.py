"""The facts of a message (money with its role, payment details, due date, references,
the counterpart's offer, what a reply answers, auto-replies, invites), typed."""

from bot.facts.model import NO_FACTS, Amount, Facts, Invite, Offer, Payment

__all__ = ["NO_FACTS", "Amount", "Facts", "Invite", "Offer", "Payment"]
