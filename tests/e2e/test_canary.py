"""Canary: configured secrets never leave the process except to the API that needs them.

The real daemon runs with log_level = "DEBUG" and every secret it knows (Telegram bot
token, Slack bot/app tokens and signing secret, the LLM API key) set to a distinctive
canary. Traffic goes through Telegram, Slack (HTTP mode, signed) and local mail, with a
model configured. Afterwards no canary may appear in the daemon's stdout/stderr, the
SQLite database (and its WAL), any file under data/, or any message the fake servers
recorded (Telegram and Slack API parameters, the model's prompts).
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator

import pytest

from tests.e2e.conftest import INVOICE_TEXT, TG_OWNER, Home, add_telegram, free_port, mail, wait_until
from tests.e2e.servers import Threaded
from tests.fakes.openai_api import FakeOpenAI
from tests.fakes.slack_api import EventsClient, FakeSlack
from tests.fakes.telegram_api import FakeTelegram

CANARIES = {
    "DEPUTY_TELEGRAM_TOKEN": "7000001:CANARYtgTOKENzq81xw",
    "DEPUTY_SLACK_BOT_TOKEN": "xoxb-CANARYslackBOTq93kd",
    "DEPUTY_SLACK_APP_TOKEN": "xapp-CANARYslackAPPv27mp",
    "DEPUTY_SLACK_SIGNING_SECRET": "CANARYsigningSECRETk4j2",
    "DEPUTY_LLM_API_KEY": "sk-CANARYllmKEYw8e5r0",
}
OWNER_SLACK, TEAM = "U0OWNER", "T0TEAM"
STRANGER = 9301


@pytest.fixture
def servers() -> Iterator[tuple[Threaded[FakeTelegram], Threaded[FakeSlack], Threaded[FakeOpenAI]]]:
    tg = Threaded(lambda: FakeTelegram(token=CANARIES["DEPUTY_TELEGRAM_TOKEN"]))
    tg.fake.known_chats.add(TG_OWNER)
    slack = Threaded(lambda: FakeSlack(token=CANARIES["DEPUTY_SLACK_BOT_TOKEN"], team_id=TEAM))
    llm = Threaded(FakeOpenAI)
    try:
        yield tg, slack, llm
    finally:
        for server in (tg, slack, llm):
            server.close()


def leaks(blob: bytes) -> list[str]:
    found = []
    for name, value in CANARIES.items():
        for form in {value, value.split(":")[-1]}:  # also the token's secret half
            if form.encode() in blob or form.encode("utf-16-le") in blob:
                found.append(name)
    return found


def test_no_secret_in_logs_db_files_or_outbound(
    home: Home,
    servers: tuple[Threaded[FakeTelegram], Threaded[FakeSlack], Threaded[FakeOpenAI]],
) -> None:
    tg, slack, llm = servers
    slack_port = free_port()
    add_telegram(home, tg.fake.base_url)
    with home.config.open("a", encoding="utf-8") as f:
        f.write(
            "[channels.slack]\n"
            'type = "slack"\n'
            'mode = "http"\n'
            f'http_listen = "127.0.0.1:{slack_port}"\n'
            f'api_base_url = "{slack.fake.base_url}"\n'
            "[llm]\n"
            "enabled = true\n"
            f'base_url = "{llm.fake.base_url}"\n'
            'model = "test-model"\n'
            "max_retries = 0\n"
        )
    home.config.write_text(
        home.config.read_text().replace('log_level = "INFO"', 'log_level = "DEBUG"'), encoding="utf-8"
    )
    owner_md = home.root / "rules" / "owner.md"
    owner_md.write_text(
        owner_md.read_text()
        .replace('# identities.slack = "U0123ABC"', f'identities.slack = "{OWNER_SLACK}"')
        .replace('# identities.slack_team = "T0123ABC"', f'identities.slack_team = "{TEAM}"'),
        encoding="utf-8",
    )
    home.env.update(CANARIES)
    home.module = "tests.e2e.debug_everything"  # no logger held back at WARNING
    home.start()
    fake_tg = tg.fake
    events = EventsClient(
        url=f"http://127.0.0.1:{slack_port}/slack/events",
        signing_secret=CANARIES["DEPUTY_SLACK_SIGNING_SECRET"],
        team_id=TEAM,
    )

    # Telegram: a rule's reply, a question to the owner, an owner command.
    stranger = fake_tg.user(STRANGER, "Sam")
    tg.run(fake_tg.private_message(stranger, "What are your opening hours?"))
    tg.run(fake_tg.private_message(stranger, "Can you help me with order #77?"))
    tg.run(fake_tg.private_message(fake_tg.user(TG_OWNER, "Alex"), "pending"))
    # Slack: a stranger's FAQ in a DM, the owner's command, a refused unsigned request.
    wait_until(lambda: _up(slack_port), timeout=60)
    assert (
        slack.run(events.post(events.message(user="U0STRANGER", text="opening hours?", channel="D0S"))) == 200
    )
    assert slack.run(events.post(events.message(user=OWNER_SLACK, text="pending"))) == 200
    assert slack.run(events.post(events.message(user=OWNER_SLACK, text="x"), secret="wrong")) == 401
    # Mail: an invoice the rule answers, a sales request that asks the model, an unmatched one.
    home.send(
        mail(
            sender="ap@acme-supplies.com",
            subject="Invoice 12",
            message_id="<c1@test.example>",
            text=INVOICE_TEXT,
        )
    )
    home.send(mail(sender="buyer@example.org", subject="Price for 10 units?", message_id="<c2@test.example>"))
    home.send(mail(sender="someone@example.org", subject="Hello", message_id="<c3@test.example>"))

    def done() -> bool:
        n = home.query("SELECT COUNT(*) FROM inbox")[0][0]
        return n >= 8 and home.drained()

    wait_until(done, timeout=60, interval=0.2)
    wait_until(lambda: any(str(STRANGER) == str(c.params.get("chat_id")) for c in fake_tg.calls), timeout=30)
    # Read the database and its WAL while running (the WAL is folded in at close).
    live = {p.name: p.read_bytes() for p in home.data.glob("deputy.sqlite3*")}
    assert home.stop() == 0, home.last_log()

    problems: list[str] = []
    for name, blob in live.items():
        problems += [f"{name} (live): {k}" for k in leaks(blob)]
    for path in home.data.rglob("*"):
        if path.is_file():
            problems += [f"{path.relative_to(home.root)}: {k}" for k in leaks(path.read_bytes())]
    for log in home.log_files:
        problems += [f"{log.name}: {k}" for k in leaks(log.read_bytes())]
    outbound = {
        "telegram": [c.params for c in fake_tg.calls],
        "slack": [c.params for c in slack.fake.calls],
        "llm": llm.fake.requests,
    }
    for server, params in outbound.items():
        problems += [f"{server} outbound: {k}" for k in leaks(json.dumps(params, default=str).encode())]
    assert problems == []

    # The traffic really happened, at DEBUG.
    logs = b"".join(p.read_bytes() for p in home.log_files)
    assert b" DEBUG " in logs
    assert b"DEBUG httpx" in logs or b"DEBUG httpcore" in logs  # the URL-logging clients too
    assert b"[redacted]" in logs  # the token-bearing URLs were logged, and scrubbed
    assert any(str(c.params.get("chat_id")) == str(STRANGER) for c in fake_tg.calls_to("sendMessage"))
    assert slack.fake.calls_to("chat.postMessage")
    assert home.outbox()
    print(f"\ncanary: {len(logs)} log bytes, {len(llm.fake.requests)} model calls")


def _up(port: int) -> bool:
    import socket

    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1):
            return True
    except OSError:
        time.sleep(0.05)
        return False
