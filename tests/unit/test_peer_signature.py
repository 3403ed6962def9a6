"""The Deputy-Peer signature (bot/peers) through the real composer and parser: a peer's
signed mail reads as a person's for RFC 3834, and a forged, replayed, stale, altered or
stranger's one stays machine mail."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta

import pytest

from bot.delivery import OutboundMessage
from bot.events import Event
from bot.owner import OwnerProfile
from bot.peers import Peers, PeerSettings
from bot.peers.intake import PeerIntake
from bot.pipeline.etiquette import no_reply_reason
from bot.store import Store
from connectors.email.compose import compose_bytes
from connectors.email.parse import parse_message

SECRET = "s3cret-shared-by-both"
SENT_AT = datetime(2026, 12, 2, 8, 0, 0, tzinfo=UTC)
BUYER = "purchasing@buyer.test"
SELLER = "sales@seller.test"
US = frozenset({BUYER})


def peers(secret: str = SECRET) -> Peers:
    conf = {"seller": PeerSettings(addresses=[SELLER], secret_env="PEER_SECRET")}
    return Peers.from_settings(conf, environ={"PEER_SECRET": secret})


def signed_mail(
    *, text: str = "Thank you. We can offer 540 EUR.", subject: str = "Re: Blue widgets"
) -> bytes:
    """What the seller's Deputy sends to the buyer's: signed at SENT_AT."""
    msg = OutboundMessage(
        to=(BUYER,),
        text=text,
        subject=subject,
        message_id="<deputy.abc123@seller.test>",
        in_reply_to="<rfq-1@buyer.test>",
        references=("<rfq-1@buyer.test>",),
    )
    seller_side = Peers.from_settings(
        {"buyer": PeerSettings(addresses=[BUYER], secret_env="PEER_SECRET")}, environ={"PEER_SECRET": SECRET}
    )
    return compose_bytes(
        msg,
        from_addr=SELLER,
        from_name="Seller Sales",
        date=SENT_AT,
        sign=lambda fields: seller_side.sign(fields, t=int(SENT_AT.timestamp())),
    )


def received(raw: bytes, *, after: timedelta = timedelta(seconds=2)) -> Event:
    result = parse_message(
        raw,
        connector="email",
        own_addresses=tuple(US),
        owner=OwnerProfile(name="Bea Buyer", emails=("bea@buyer.test",)),
        received_at=SENT_AT + after,
    )
    assert result.event is not None, result.quarantine_reason
    return result.event


def test_a_signed_mail_verifies_through_compose_and_parse() -> None:
    raw = signed_mail(text="Grüße! We can offer 540 EUR.\n" + "a long line " * 30 + "\n\n-- \nSales  \n")
    assert b"Deputy-Peer: v=1; t=" in raw
    event = received(raw)
    verdict = peers().verify(event)
    assert verdict.ok, verdict.reason
    assert verdict.peer == "seller"


def test_mail_to_a_stranger_carries_no_signature() -> None:
    msg = OutboundMessage(to=("carol@elsewhere.test",), text="hi", subject="x", message_id="<m1@seller.test>")
    raw = compose_bytes(msg, from_addr=SELLER, sign=lambda fields: peers().sign(fields, t=0))
    assert b"Deputy-Peer" not in raw


def test_forged_signature_is_machine_mail() -> None:
    raw = signed_mail()
    head, _, rest = raw.partition(b"sig=")
    forged = head + b"sig=" + (b"0" * 64) + rest[64:]
    verdict = peers().verify(received(forged))
    assert not verdict.ok and "does not match" in verdict.reason


def test_wrong_secret_is_machine_mail() -> None:
    verdict = peers(secret="another-secret").verify(received(signed_mail()))
    assert not verdict.ok and "does not match" in verdict.reason


def test_changed_body_is_machine_mail() -> None:
    raw = signed_mail().replace(b"540 EUR", b"450 EUR")
    verdict = peers().verify(received(raw))
    assert not verdict.ok and "does not match" in verdict.reason


def test_changed_subject_is_machine_mail() -> None:
    raw = signed_mail().replace(b"Blue widgets", b"Red widgets")
    assert not peers().verify(received(raw)).ok


def test_stale_signature_is_machine_mail() -> None:
    verdict = peers().verify(received(signed_mail(), after=timedelta(hours=2)))
    assert not verdict.ok and "outside the 900 s window" in verdict.reason


def test_a_stranger_with_the_header_is_machine_mail() -> None:
    raw = signed_mail().replace(f"From: Seller Sales <{SELLER}>".encode(), b"From: mallory@evil.test")
    verdict = peers().verify(received(raw))
    assert not verdict.ok and "no configured peer" in verdict.reason


def test_missing_secret_names_the_key() -> None:
    from bot.errors import ConfigError

    conf = {"seller": PeerSettings(addresses=[SELLER], secret_env="PEER_SECRET")}
    with pytest.raises(ConfigError, match=r"peers\.seller\.secret_env: environment variable PEER_SECRET"):
        Peers.from_settings(conf, environ={})


async def test_verified_mail_is_a_persons_for_rfc3834_only_once(store: Store) -> None:
    intake = PeerIntake(peers(), store.peer_messages)
    event = received(signed_mail())
    assert no_reply_reason(event, our_addresses=US) is not None  # Auto-Submitted: auto-replied

    read = await intake.read(event)
    assert read.refs["peer"] == "seller"
    assert no_reply_reason(read, our_addresses=US) is None
    assert not read.sender_verified_owner  # a correspondent, never the owner
    assert (await intake.read(event)).refs.get("peer") == "seller"  # handled again after a crash

    # The same Message-ID in another event (its unsigned parts changed): a replay.
    replayed = dataclasses.replace(event, id=event.id + "#copy")
    again = await intake.read(replayed)
    assert "peer" not in again.refs
    assert no_reply_reason(again, our_addresses=US) is not None


async def test_forged_mail_keeps_its_auto_submitted(store: Store) -> None:
    raw = signed_mail().replace(b"540 EUR", b"450 EUR")
    event = await PeerIntake(peers(), store.peer_messages).read(received(raw))
    assert "peer" not in event.refs
    assert "Auto-Submitted" in (no_reply_reason(event, our_addresses=US) or "")


async def test_an_out_of_office_from_a_peer_stays_automatic(store: Store) -> None:
    """A peer's mailbox may answer with a vacation notice: signed or not, its words say
    it is one, and it gets no reply."""
    raw = signed_mail(subject="Out of office: Blue widgets", text="I am out of the office until Monday.")
    event = await PeerIntake(peers(), store.peer_messages).read(received(raw))
    assert event.refs.get("peer") == "seller"
    assert no_reply_reason(event, our_addresses=US) is not None


def test_the_window_counts_from_the_arrival_at_our_server() -> None:
    """A mail that waited in the mailbox while Deputy was down still verifies: the newest
    Received header says when our server took it."""
    stamp = (SENT_AT + timedelta(seconds=5)).strftime("%a, %d %b %Y %H:%M:%S +0000")
    raw = f"Received: from mx.seller.test by mx.buyer.test; {stamp}\r\n".encode() + signed_mail()
    late = received(raw, after=timedelta(hours=6))
    assert peers().verify(late).ok
    assert not peers().verify(received(signed_mail(), after=timedelta(hours=6))).ok
