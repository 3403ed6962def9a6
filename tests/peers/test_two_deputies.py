"""Two Deputy installations negotiate by mail (issue 19, item 6).

Two daemons with separate homes and stores, both rules-only: the buyer's mailbox and the
seller's are users of one Dovecot on 127.0.0.1, and an aiosmtpd relay delivers each
message into its recipient's INBOX by IMAP APPEND before it answers 250, as an MTA
would. The conversation opens the way it does in an office: the buyer's purchasing
mailbox (the one the buyer's Deputy runs on) writes to the seller's sales address; from
then on the two Deputies answer each other, each within its own mandate, and each
verifies the other's Deputy-Peer signature, since every one of their mails says
``Auto-Submitted: auto-replied``.

What is checked from the servers' side and the stores: the numbers each side offered,
in order (the deal at 480 EUR lies inside both mandates); a thread whose mandates do not
overlap stops at the rounds, with a question to the seller's owner and nothing more
sent; a deal is not answered (no thanks back and forth); and a run in which the seller
dies in the middle (a fault point right after an outbox commit) and the buyer is
SIGKILLed (both restarted) ends with the same numbers and every Message-ID delivered
once.
"""

from __future__ import annotations

import imaplib
import importlib.util
import json
import os
import re
import shutil
import sys
import tempfile
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from email.utils import make_msgid
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller

from bot.actions import Offer
from bot.agent import negotiation
from bot.agent.base import NegotiationState
from bot.rules.model import Mandate
from tests.e2e.conftest import ROOT, Home, free_port, wait_until

_spec = importlib.util.spec_from_file_location(
    "deputy_email_servers", ROOT / "tests" / "email" / "conftest.py"
)
assert _spec is not None and _spec.loader is not None
servers = sys.modules.get(_spec.name) or importlib.util.module_from_spec(_spec)
if _spec.name not in sys.modules:
    sys.modules[_spec.name] = servers
    _spec.loader.exec_module(servers)

BUYER, SELLER = "purchasing@buyer.test", "sales@seller.test"
USERS = {BUYER: "buyer", SELLER: "seller"}
SECRET_ENV = "DEPUTY_TEST_PEER_SECRET"
LIMIT = 60.0  # a hang fails the test; no time is asserted

# The deal: seller 600 -> 540 -> 480, buyer 400 -> 460 -> 480 (accepts the seller's last).
DEAL = "Blue widgets"
# No overlap: the seller will not go under 500, the buyer not over 400; 3 rounds each.
NO_DEAL = "Red gadgets"


def rule(subject: str, counterpart: str, mandate: str) -> str:
    return (
        "+++\n"
        f'description = "{subject}: negotiate within the mandate"\n'
        f'when.from = ["*@{counterpart}"]\n'
        f'when.subject = "(?i){subject}"\n'
        'may = ["reply", "offer"]\n'
        f'mandate = {{ {mandate}, currency = "EUR", max_rounds = 3, rules_only = true }}\n'
        "+++\n"
        f"Negotiate the price of the {subject.lower()} within the mandate.\n"
    )


SIDES: dict[str, dict[str, str]] = {
    "seller": {
        "owner.md": '+++\nname = "Sam Seller"\nemails = ["sam@seller.test"]\ntimezone = "UTC"\n'
        'preferred_channel = "cli"\nsignature = "Sam, Seller Ltd"\n+++\n',
        "widgets.md": rule(DEAL, "buyer.test", 'side = "sell", target = 600, walk_away = 480'),
        "gadgets.md": rule(NO_DEAL, "buyer.test", 'side = "sell", target = 600, walk_away = 500'),
    },
    "buyer": {
        "owner.md": '+++\nname = "Bea Buyer"\nemails = ["bea@buyer.test"]\ntimezone = "UTC"\n'
        'preferred_channel = "cli"\nsignature = "Bea, Buyer GmbH"\n+++\n',
        "widgets.md": rule(DEAL, "seller.test", 'side = "buy", target = 400, walk_away = 520'),
        "gadgets.md": rule(NO_DEAL, "seller.test", 'side = "buy", target = 300, walk_away = 400'),
    },
}


@dataclass
class Relay:
    """The MTA between the two: each message goes into its recipient's INBOX (IMAP
    APPEND) before the 250, so an accepted message is a delivered one."""

    imap_port: int
    password: str
    delivered: list[dict[str, Any]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str, options: Any) -> str:
        if address.lower() not in USERS:
            return "550 no such mailbox"
        envelope.rcpt_tos.append(address.lower())
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        raw = bytes(envelope.original_content or envelope.content)
        for rcpt in envelope.rcpt_tos:
            conn = imaplib.IMAP4("127.0.0.1", self.imap_port)
            try:
                conn.login(USERS[rcpt], self.password)
                typ, data = conn.append("INBOX", None, None, raw)
                assert typ == "OK", data
            finally:
                conn.logout()
            msg = message_from_bytes(raw, policy=policy.default)
            body = msg.get_body(("plain",))
            with self.lock:
                self.delivered.append(
                    {
                        "to": rcpt,
                        "from": msg["From"].addresses[0].addr_spec.lower(),
                        "subject": str(msg["Subject"]),
                        "message_id": str(msg["Message-ID"]).strip(),
                        "text": body.get_content() if body is not None else "",
                        "signed": msg["Deputy-Peer"] is not None,
                    }
                )
        return "250 OK"

    def mails(self, subject: str = "") -> list[dict[str, Any]]:
        with self.lock:
            return [m for m in self.delivered if subject in m["subject"]]

    def prices(self, subject: str) -> list[tuple[str, int]]:
        """(who, the price in the text) of each delivered mail of the thread, in order."""
        out = []
        for m in self.mails(subject):
            found = re.findall(r"(\d+) EUR", m["text"])
            out.append((USERS[m["from"]], int(found[-1]) if found else 0))
        return out


@pytest.fixture
def dovecot() -> Iterator[Any]:
    if not servers.DOVECOT:
        pytest.fail("dovecot is not installed (apt-get install -y --no-install-recommends dovecot-imapd)")
    root = Path(tempfile.mkdtemp(prefix="deputy-peers-"))
    os.chmod(root, 0o755)
    port = free_port()
    server = servers.DovecotServer(root=root, port=port, config=servers._write_config(root, port))
    try:
        server.start()
        yield server
    finally:
        server.stop()
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture
def relay(dovecot: Any) -> Iterator[tuple[Relay, int]]:
    handler = Relay(imap_port=dovecot.port, password=dovecot.password)
    port = free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield handler, port
    finally:
        controller.stop()


def make_home(root: Path, side: str, *, dovecot: Any, smtp_port: int) -> Home:
    own = BUYER if side == "buyer" else SELLER
    peer, peer_address = ("seller", SELLER) if side == "buyer" else ("buyer", BUYER)
    rules = root / "rules"
    rules.mkdir(parents=True)
    for name, text in SIDES[side].items():
        (rules / name).write_text(text, encoding="utf-8")
    port = free_port()
    (root / "config.toml").write_text(
        f"""[deputy]
data_dir = "data"
rules_dir = "rules"
addresses = ["deputy@localhost", "{own}"]
message_id_domain = "{side}.test"
[digest]
enabled = false
[channels.local]
listen_port = {port}
[channels.email]
imap_host = "127.0.0.1"
imap_port = {dovecot.port}
imap_security = "none"
username = "{side}"
password_env = "DEPUTY_TEST_IMAP_PASSWORD"
reconnect_max_seconds = 1
command_timeout_seconds = 10
smtp_host = "127.0.0.1"
smtp_port = {smtp_port}
smtp_security = "none"
address = "{own}"
sent_folder = "Sent"
[peers.{peer}]
addresses = ["{peer_address}"]
secret_env = "{SECRET_ENV}"
""",
        encoding="utf-8",
    )
    return Home(
        root=root,
        port=port,
        env={"DEPUTY_TEST_IMAP_PASSWORD": dovecot.password, SECRET_ENV: "shared-by-buyer-and-seller"},
    )


def cursor_ready(home: Home) -> bool:
    """The email channel took its baseline: mail appended from now on is new to it."""
    try:
        return bool(home.query("SELECT 1 FROM kv WHERE key LIKE 'connector:email:imap_cursor:%'"))
    except Exception:
        return False


def running(home: Home) -> bool:
    return home.proc is not None and home.proc.poll() is None


def settled(homes: list[Home], relay: Relay) -> bool:
    """Nothing left to do anywhere: every delivered mail is a done event at its
    recipient, and every outbox row is settled. No sleep stands in for this."""
    for home in homes:
        if home.proc is None or home.proc.poll() is not None:
            return False
        try:
            done = {r["id"] for r in home.query("SELECT id FROM inbox WHERE state='done'")}
            busy = home.query("SELECT 1 FROM outbox WHERE state IN ('pending', 'sending')")
        except Exception:
            return False
        own = BUYER if home.root.name == "buyer" else SELLER
        if busy or any(f"email:{m['message_id']}" not in done for m in relay.mails() if m["to"] == own):
            return False
    return True


def open_inquiry(relay_port: int, subject: str) -> None:
    """The buyer's purchasing mailbox writes to the seller (a person, from the mailbox
    the buyer's Deputy runs on): this opens the thread."""
    import smtplib

    msg = EmailMessage()
    msg["From"] = f"Buyer GmbH Purchasing <{BUYER}>"
    msg["To"] = SELLER
    msg["Subject"] = subject
    msg["Message-ID"] = make_msgid(domain="buyer.test")
    msg.set_content(f"Hello, could you quote us a price for the {subject.lower()}?\n\nBea, Buyer GmbH\n")
    with smtplib.SMTP("127.0.0.1", relay_port, timeout=30) as smtp:
        smtp.send_message(msg)


def stored_state(home: Home, subject: str, relay: Relay) -> dict[str, Any]:
    """The stored state of the thread ``subject``: its key holds the inquiry's Message-ID."""
    opening = relay.mails(subject)[0]["message_id"]
    rows = home.query("SELECT thread, state FROM negotiations")
    found = [json.loads(r["state"]) for r in rows if opening in r["thread"]]
    assert len(found) == 1, rows
    return dict(found[0])


EXPECTED_DEAL = [
    ("buyer", 0),  # the inquiry, without a price
    ("seller", 600),
    ("buyer", 400),
    ("seller", 540),
    ("buyer", 460),
    ("seller", 480),
    ("buyer", 480),  # "We agree on 480 EUR": the seller answers nothing more
]
EXPECTED_NO_DEAL = [
    ("buyer", 0),
    ("seller", 600),
    ("buyer", 300),
    ("seller", 550),
    ("buyer", 350),
    ("seller", 500),
    ("buyer", 400),  # the seller's rounds are used up: its owner is asked, nothing is sent
]


def check_outcome(relay: Relay, seller: Home, buyer: Home, *, subjects: tuple[str, ...]) -> None:
    if DEAL in subjects:
        assert relay.prices(DEAL) == EXPECTED_DEAL
        assert stored_state(seller, DEAL, relay)["closed"] and stored_state(buyer, DEAL, relay)["closed"]
        deal = relay.mails(DEAL)
        assert "agree on 480 EUR" in deal[-1]["text"]
    if NO_DEAL in subjects:
        assert relay.prices(NO_DEAL) == EXPECTED_NO_DEAL
        asked = seller.query("SELECT question FROM escalations WHERE state='open'")
        assert len(asked) == 1 and "rounds are used up" in asked[0]["question"], asked
        assert not stored_state(seller, NO_DEAL, relay)["closed"]
    # Every message after the inquiry is a Deputy's, signed for its peer; none twice.
    for subject in subjects:
        mails = relay.mails(subject)
        assert all(m["signed"] for m in mails[1:]) and not mails[0]["signed"]
    ids = [m["message_id"] for m in relay.mails()]
    assert len(ids) == len(set(ids)), ids
    for home, own in ((seller, SELLER), (buyer, BUYER)):
        handled = [r["id"] for r in home.query("SELECT id FROM inbox WHERE channel='email'")]
        assert len(handled) == len([m for m in relay.mails() if m["to"] == own])
    # Each judged peer mail says in the audit that its signature verified.
    for home in (seller, buyer):
        reasons = [r["reasons"] for r in home.query("SELECT reasons FROM audit WHERE outcome!='received'")]
        assert sum("Deputy-Peer signature verified" in r for r in reasons) >= 2, reasons
    # Nobody's owner was asked about a deal, and the buyer's owner about nothing.
    assert buyer.query("SELECT question FROM escalations") == []


@pytest.fixture
def homes(tmp_path: Path) -> Iterator[list[Home]]:
    made: list[Home] = []
    yield made
    for home in made:
        home.cleanup()


def on_paper(seller: Mandate, buyer: Mandate) -> list[tuple[str, int]]:
    """The conversation the two mandates give with no process at all: each side's
    plan (bot/agent/negotiation.py) answering the other's last price."""
    mandates = {"seller": seller, "buyer": buyer}
    states = {"seller": NegotiationState(), "buyer": NegotiationState()}
    out, who, last, final = [("buyer", 0)], "seller", None, False
    while True:
        state = states[who]
        if negotiation.they_accepted(state, last, answer="accepts" if final else "counter"):
            return out  # a deal is not answered
        plan = negotiation.propose_counter(mandates[who], state, last)
        if plan.amount is None:
            return out  # the owner is asked
        offer = Offer(text="", amount=plan.amount, currency="EUR", final=plan.final)
        states[who] = negotiation.advance(state, theirs=last, allowed=[offer])
        out.append((who, int(plan.amount)))
        who, last, final = ("buyer" if who == "seller" else "seller"), plan.amount, plan.final


def test_on_paper_the_mandates_give_the_expected_conversations() -> None:
    def m(side: str, target: int, walk_away: int) -> Mandate:
        return Mandate(side=side, target=target, walk_away=walk_away, currency="EUR", max_rounds=3)  # type: ignore[arg-type]

    assert on_paper(m("sell", 600, 480), m("buy", 400, 520)) == EXPECTED_DEAL
    assert on_paper(m("sell", 600, 500), m("buy", 300, 400)) == EXPECTED_NO_DEAL


def test_two_deputies_negotiate_and_a_kill_of_either_changes_nothing(
    tmp_path: Path, dovecot: Any, relay: tuple[Relay, int], homes: list[Home]
) -> None:
    handler, relay_port = relay
    seller = make_home(tmp_path / "seller", "seller", dovecot=dovecot, smtp_port=relay_port)
    buyer = make_home(tmp_path / "buyer", "buyer", dovecot=dovecot, smtp_port=relay_port)
    homes += [seller, buyer]
    # The seller dies right after its second decision is committed, before it is sent.
    seller.env["DEPUTY_FAULT"] = "after_outbox_commit:2"
    for home in homes:  # both at once: a start is mostly the interpreter's imports
        home.proc = home.spawn()
    wait_until(
        lambda: all(cursor_ready(h) for h in homes) or any(not running(h) for h in homes), timeout=LIMIT
    )
    assert all(running(h) for h in homes), [h.last_log() for h in homes]

    open_inquiry(relay_port, DEAL)
    died = seller.proc
    assert died is not None
    wait_until(lambda: died.poll() is not None, timeout=LIMIT)
    assert died.returncode == 86, seller.last_log()
    seller.proc = None
    del seller.env["DEPUTY_FAULT"]
    seller.start()

    # The buyer is SIGKILLed as the seller's third offer reaches its mailbox (the buyer's
    # own last send is complete by then: the seller answered it).
    wait_until(lambda: [p for who, p in handler.prices(DEAL) if who == "seller"][2:], timeout=LIMIT)
    buyer.kill()
    buyer.start()
    # The thread whose mandates do not overlap runs beside the rest of the deal.
    open_inquiry(relay_port, NO_DEAL)

    wait_until(lambda: len(handler.mails()) >= 14 and settled(homes, handler), timeout=LIMIT)
    check_outcome(handler, seller, buyer, subjects=(DEAL, NO_DEAL))
