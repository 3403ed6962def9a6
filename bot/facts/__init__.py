"""The facts of a message (money with its role, payment details, due date, references,
the counterpart's offer, what a reply answers, auto-replies, invites), typed, and the
deterministic readers that produce them."""

from bot.facts.extract import accept, extract, in_context, merge
from bot.facts.model import NO_FACTS, Amount, Facts, Invite, Offer, Payment
from bot.facts.money import find_amounts

__all__ = [
    "NO_FACTS",
    "Amount",
    "Facts",
    "Invite",
    "Offer",
    "Payment",
    "accept",
    "extract",
    "find_amounts",
    "in_context",
    "merge",
]
