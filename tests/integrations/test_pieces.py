"""The pure pieces behind webhooks and the calendar, one case each where it can go wrong:
signatures, JSON fields in rules, payload templates, free slots, the slot a reply takes,
the gate on a booking. (The end-to-end tests beside this file drive them for real.)"""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from bot.actions import Calendar
from bot.calendar.offered import chosen, offered_in
from bot.calendar.slots import Slot, WorkingTime, describe, free_slots
from bot.errors import ConfigError
from bot.events import Event
from bot.facts import Facts
from bot.gate.calendar import calendar_problem
from bot.rules.loader import parse_rule
from bot.rules.matcher import matches
from bot.rules.payload_template import render
from connectors.webhook.signing import SignatureRefused, sign, verify


def test_signatures_cover_body_and_time() -> None:
    body = b'{"id":"e1"}'
    header = sign("s3cret", 1_800_000_000, body)
    assert verify("s3cret", header, body, now=1_800_000_010, tolerance=300).timestamp == 1_800_000_000
    for secret, sent, now, why in (
        ("other", body, 1_800_000_010, "does not match"),
        ("s3cret", body + b" ", 1_800_000_010, "does not match"),
        ("s3cret", body, 1_800_000_301, "window"),
    ):
        with pytest.raises(SignatureRefused, match=why):
            verify(secret, header, sent, now=now, tolerance=300)
    with pytest.raises(SignatureRefused, match="malformed"):
        verify("s3cret", "v1=abc", body, now=0, tolerance=300)


def _hook(doc: dict[str, object]) -> Event:
    return Event(id="webhook:pay:1", channel="webhook", kind="message", thread="pay:1", sender="pay",
                 subject=str(doc.get("type", "")), received_at=datetime.now(UTC), text=json.dumps(doc),
                 refs={"format": "json", "channel_type": "webhook"})  # fmt: skip


def _mail_fields() -> dict[str, object]:
    return {"id": "local:2", "channel": "local", "kind": "message", "thread": "t", "sender": "a@b.c",
            "received_at": datetime.now(UTC)}  # fmt: skip


def _rule(header: str) -> object:
    return parse_rule(Path("r.md"), f"+++\n{header}\n+++\nBody.\n")


def test_when_field_matches_json_values_by_type() -> None:
    header = 'when.channel = ["webhook"]\nwhen.field."data.status" = "paid"\nwhen.field."data.n" = 5'
    rule = _rule(header + '\nmay = ["ignore"]')
    assert matches(rule, _hook({"data": {"status": "paid", "n": 5}}))  # type: ignore[arg-type]
    assert not matches(rule, _hook({"data": {"status": "paid", "n": "5"}}))  # type: ignore[arg-type]
    assert not matches(rule, _hook({"data": {"status": "open", "n": 5}}))  # type: ignore[arg-type]
    mail_rule = _rule('when.subject = "(?i)invoice"\nmay = ["ignore"]')
    assert matches(
        mail_rule, _hook({"type": "invoice.paid"}).__class__(**{**_mail_fields(), "subject": "Invoice 7"})
    )  # type: ignore[arg-type]
    assert not matches(mail_rule, _hook({"type": "invoice.paid"})), "mail rules never see webhooks"  # type: ignore[arg-type]
    plain = Event(id="local:1", channel="local", kind="message", thread="t", sender="a@b.c",
                  received_at=datetime.now(UTC), text='{"data": {"status": "paid", "n": 5}}')  # fmt: skip
    assert not matches(rule, plain), "a mail whose text looks like JSON has no fields"  # type: ignore[arg-type]


def test_payload_templates_keep_types_and_refuse_unknown_placeholders() -> None:
    event = _hook({"data": {"amount": 12.5, "who": "Ann"}})
    payload = {"amount": "${field.data.amount}", "note": "from ${field.data.who} ($$)", "gone": "${field.x}"}
    assert render(payload, event, rule="r") == {"amount": 12.5, "note": "from Ann ($)", "gone": None}
    with pytest.raises(ConfigError, match="unknown placeholder"):
        parse_rule(Path("r.md"), '+++\nmay = ["webhook"]\nwebhook.url = "http://x"\n'
                   'webhook.payload = { a = "${data.amount}" }\n+++\nB\n')  # fmt: skip


BERLIN = ZoneInfo("Europe/Berlin")


def test_free_slots_skip_busy_time_weekends_and_keep_local_hours_across_dst() -> None:
    now = datetime(2027, 3, 26, 6, 0, tzinfo=UTC)  # a Friday; Sunday the clocks go forward
    work = WorkingTime(timezone="Europe/Berlin", slot_minutes=60, notice_hours=0, days_ahead=5)
    busy = [(datetime(2027, 3, 26, 9, tzinfo=BERLIN), datetime(2027, 3, 26, 17, tzinfo=BERLIN))]
    slots = free_slots(busy, now=now, work=work, count=3)
    local = [s.start.astimezone(BERLIN) for s in slots]
    assert [(t.day, t.hour) for t in local] == [(29, 9), (30, 9), (31, 9)]  # Mon-Wed, 09:00 local
    assert slots[0].start.utcoffset() == timedelta(hours=2)  # summer time, still 09:00


def test_the_slot_an_answer_takes_is_read_back_from_what_was_offered() -> None:
    slots = [Slot(start=datetime(2027, 3, d, 10, tzinfo=BERLIN), end=datetime(2027, 3, d, 11, tzinfo=BERLIN))
             for d in (29, 30, 31)]  # fmt: skip
    offered = offered_in("Hi,\n\n" + describe(slots, "Europe/Berlin") + "\n\nBest")
    assert offered == slots
    assert chosen("Option 2 works for me", offered) == slots[1]
    assert chosen("Wednesday at 10:00 is great", offered) == slots[2]
    assert chosen("2 or 3 both fine", offered) is None, "two named: ask, do not guess"
    assert chosen("sounds good", offered) is None


def test_the_gate_books_only_a_time_that_was_offered() -> None:
    rule = _rule('may = ["calendar"]\ncalendar = { channel = "calendar", book = true }')
    start = datetime.now(UTC).replace(minute=0, second=0, microsecond=0) + timedelta(days=2)
    slot = Slot(start=start.astimezone(BERLIN), end=(start + timedelta(hours=1)).astimezone(BERLIN))
    trusted = describe([slot], "Europe/Berlin")
    event = _hook({})

    def problem(begin: datetime, channel: str = "calendar") -> str | None:
        action = Calendar(
            op="book", channel=channel, start=begin.isoformat(), end=(begin + timedelta(hours=1)).isoformat()
        )
        return calendar_problem(action, rule, event=event, facts=Facts(), trusted_text=trusted,  # type: ignore[arg-type]
                                participants=frozenset(), ours=frozenset())  # fmt: skip

    assert problem(start) is None
    assert (
        problem(start + timedelta(minutes=30))
        == "the booking is not one of the times offered in this conversation"
    )
    assert problem(start, channel="other") is not None


README = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")


def _block(marker: str) -> str:
    return README.split(f"```toml\n# {marker}", 1)[1].split("```", 1)[0].split("\n", 1)[1]


def test_the_readme_examples_load(tmp_path: Path) -> None:
    from bot.config import load

    for name in ("rules/paid.md (header)", "rules/meetings.md (header)", "rules/invites.md (header)"):
        parse_rule(Path("r.md"), f"+++\n{_block(name)}+++\nBody.\n")
    configs = [p.split("```", 1)[0] for p in README.split("```toml\n# config.toml\n")[1:]]
    assert len(configs) >= 2
    config = tmp_path / "config.toml"
    config.write_text("".join(configs), encoding="utf-8")
    assert {"webhook", "calendar"} <= set(load(config).channels)


def test_deputy_check_names_a_missing_calendar_and_secret(tmp_path: Path) -> None:
    import shutil
    import subprocess
    import sys

    root = Path(__file__).resolve().parents[2]
    shutil.copytree(root / "rules", tmp_path / "rules")
    (tmp_path / "rules" / "invites.md").write_text(f"+++\n{_block('rules/invites.md (header)')}+++\nB\n")
    config = tmp_path / "config.toml"
    config.write_text('[channels.webhook]\nlisten = "127.0.0.1:0"\n[channels.webhook.in.pay]\npath = "/p"\n'
                      'secret_env = "DEPUTY_TEST_NOT_SET"\n')  # fmt: skip
    done = subprocess.run([sys.executable, "-m", "bot.cli", "check", "--config", str(config)], cwd=root,
                          capture_output=True, text=True, timeout=60)  # fmt: skip
    assert done.returncode != 0
    assert "DEPUTY_TEST_NOT_SET" in done.stderr + done.stdout
    env = {**os.environ, "DEPUTY_TEST_NOT_SET": "now-set"}
    done = subprocess.run([sys.executable, "-m", "bot.cli", "check", "--config", str(config)], cwd=root,
                          capture_output=True, text=True, timeout=60, env=env)  # fmt: skip
    assert done.returncode != 0
    assert "invites.md: calendar.channel: 'calendar' is no caldav channel" in done.stderr + done.stdout


def test_an_offered_slot_that_ends_at_midnight_is_read_back_whole() -> None:
    start = datetime(2026, 12, 4, 23, 0, tzinfo=BERLIN)
    slot = Slot(start=start, end=start + timedelta(hours=1))
    assert offered_in(describe([slot], "Europe/Berlin")) == [slot]
