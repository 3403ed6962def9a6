"""Loop etiquette for mail: when an automatic reply must not be sent.

The checklist of RFC 3834 (Recommendations for Automatic Responses to Electronic Mail)
section 2 and RFC 5230 (Sieve vacation) section 4.5. These checks suppress *replies*;
rules may still file or forward such mail. Each returns the reason, for the audit log.
Out-of-office replies without any header are told by their subject or text
(bot.automatic).
"""

from __future__ import annotations

import re

from bot.automatic import automatic_text_reason
from bot.events import Event

# RFC 5230 4.5: do not respond to these senders' local parts.
_NO_REPLY_LOCALPARTS = re.compile(
    r"""^(?:mailer-daemon|postmaster|listserv|majordomo|mailman|bounce[s]?|bounce[-+].*
        |no[-_.]?reply|do[-_.]?not[-_.]?reply|notifications?|daemon|root
        |owner-.*|.*-owner|.*-request|.*-bounces?)$""",
    re.IGNORECASE | re.VERBOSE,
)
_LIST_HEADERS = ("list-id", "list-unsubscribe", "list-post", "list-help", "list-owner", "list-archive")
_AUTO_HEADERS = ("x-autoreply", "x-autorespond", "x-auto-reply", "x-autoresponder")


def is_mail(event: Event) -> bool:
    return event.refs.get("channel_type", event.channel) in {"email", "local"}


def no_reply_reason(event: Event, *, our_addresses: frozenset[str]) -> str | None:
    """Why this mail must not get an automatic reply, or None when a reply is fine."""
    if not is_mail(event):
        return None
    h = {k.lower(): v for k, v in event.headers.items()}
    auto = h.get("auto-submitted", "").strip().lower()
    if auto and not auto.startswith("no"):
        return f"Auto-Submitted: {auto} (RFC 3834 2)"
    precedence = h.get("precedence", "").strip().lower()
    if precedence in {"bulk", "list", "junk"}:
        return f"Precedence: {precedence} (RFC 3834 2)"
    for name in _LIST_HEADERS:
        if name in h:
            return f"mailing-list mail ({name}) (RFC 3834 2, RFC 2369)"
    if "return-path" in h and h["return-path"].strip() in {"<>", ""}:
        return "empty Return-Path: a bounce (RFC 3834 2)"
    content_type = h.get("content-type", "").lower()
    if content_type.startswith("multipart/report") or event.refs.get("multipart_report") == "1":
        return "multipart/report: a delivery or read report (RFC 3464, RFC 8098)"
    suppress = h.get("x-auto-response-suppress", "").lower()
    if any(tok in suppress for tok in ("all", "autoreply", "oof")):
        return f"X-Auto-Response-Suppress: {suppress}"
    for name in _AUTO_HEADERS:
        if name in h:
            return f"{name} header: an automatic message"
    # Many out-of-office replies carry no header at all, only "Automatic reply: ...".
    marked = automatic_text_reason(event)
    if marked:
        return marked
    if h.get("x-spam-flag", "").strip().lower() == "yes":
        return "marked as spam"
    sender = event.sender.lower()
    if not sender or "@" not in sender:
        return "no usable sender address"
    if _NO_REPLY_LOCALPARTS.match(sender.split("@", 1)[0]):
        return f"sender {sender} is an automatic address (RFC 5230 4.5)"
    loop = h.get("x-loop", "").lower()
    if loop and any(a in loop for a in our_addresses):
        return "X-Loop names us"
    if our_addresses and not ({r.lower() for r in event.recipients} & our_addresses):
        # RFC 3834 2: respond only when one of our addresses is explicitly in To/Cc
        # (Bcc and list expansion do not count).
        return "not addressed to us in To/Cc (RFC 3834 2)"
    return None
