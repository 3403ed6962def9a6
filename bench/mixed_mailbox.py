"""LLM calls and tokens per event over a realistic mixed mailbox (issue 9).

A small business's inbox for a week, 300 messages, through the whole daemon (inbox,
router, rules, agent, gate, outbox) with the model enabled against the loopback OpenAI
stub. The stub follows the negotiation plan the prompt gives it, as a well-behaved model
would, and counts tokens from the request (about 4 characters per token). The example
rulebook in rules/ decides what needs judgment. Figures only: how many events needed no
model at all, and calls and tokens per event, overall and per kind.

    .venv/bin/python bench/mixed_mailbox.py

Writes bench/results/mixed_mailbox.json.
"""

from __future__ import annotations

import json
import re
import shutil
import sys
import tempfile
from collections import defaultdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "bench")]

from pipeline import RecordingChannel  # noqa: E402

from bot import event_loop  # noqa: E402
from bot.app import Deputy  # noqa: E402
from bot.config import load  # noqa: E402
from bot.events import Attachment, Event  # noqa: E402
from tests.fakes.openai_api import FakeOpenAI, Step, call, text  # noqa: E402

# (kind, how many): roughly one week of a small consultancy's mail.
MAILBOX = (
    ("supplier invoice", 60),
    ("newsletter", 70),
    ("meeting request", 30),
    ("receipt with attachment", 15),
    ("price inquiry (opens a negotiation)", 35),
    ("counter-offer in an open negotiation", 25),
    ("personal mail, no rule", 45),
    ("auto-reply", 10),
    ("bounce", 10),
)


def plan_following_model(body: dict[str, Any]) -> Step:
    """Does what the prompt's negotiation plan says; otherwise a short reply."""
    if body["messages"][-1]["role"] == "tool":
        return text("done")
    user = body["messages"][-1]["content"]
    plan = re.search(r"call offer with amount=([\d.]+), currency=(\w+), final=(\w+)", str(user))
    if plan:
        return call(
            "offer",
            {
                "text": f"Thank you. We can do {plan[1]} {plan[2]}.",
                "amount": float(plan[1]),
                "currency": plan[2],
                "final": plan[3] == "true",
            },
        )
    return call("reply", {"text": "Thank you, we will come back to you shortly."})


def _mail(n: int, kind: str, spec: dict[str, Any]) -> Event:
    sender = str(spec["sender"])
    mid = f"<mix-{n}@{sender.split('@')[-1]}>"
    return Event(
        id=f"local:{mid}",
        channel="local",
        kind="message",
        thread=str(spec.get("thread") or mid),
        sender=sender,
        received_at=datetime.now(UTC),
        recipients=("deputy@localhost",),
        subject=str(spec["subject"]),
        text=str(spec["body"]),
        headers=dict(spec.get("headers", {})),
        attachments=tuple(spec.get("attachments", ())),
        refs={"channel_type": "local", "message_id": mid, "path": f"INBOX/{n}.eml", "bench_kind": kind},
    )


RECEIPT = Attachment(filename="receipt.pdf", content_type="application/pdf", size=20480)


def _spec(kind: str, i: int, negotiations: list[str]) -> dict[str, Any]:
    """The i-th message of a kind: senders, subjects and bodies vary as in a real inbox."""
    match kind:
        case "supplier invoice":
            return {
                "sender": f"billing{i % 7}@acme-supplies.com",
                "subject": f"Invoice 2026-{i:04d}",
                "body": f"Please find attached invoice 2026-{i:04d} over {40 + i} EUR.",
            }
        case "newsletter":
            return {
                "sender": f"newsletter@news.shop{i % 5}.example",
                "subject": f"This week's deals #{i}",
                "body": "Big savings on everything. Unsubscribe below.",
                "headers": {"List-Id": f"<deals.shop{i % 5}.example>", "Precedence": "bulk"},
            }
        case "meeting request":
            return {
                "sender": f"partner{i}@firm{i % 9}.example",
                "subject": "Catch up next week?",
                "body": "Could we have a call next week about the project?",
            }
        case "receipt with attachment":
            return {
                "sender": f"shop{i}@store.example",
                "subject": "Your receipt",
                "body": "Thanks for your purchase, your receipt is attached.",
                "attachments": (RECEIPT,),
            }
        case "price inquiry (opens a negotiation)":
            return {
                "sender": f"buyer{i}@client{i % 11}.example",
                "subject": "Price for the consulting package?",
                "body": f"What would the package cost? Our budget is around {380 + i} EUR.",
            }
        case "counter-offer in an open negotiation":
            k = i % len(negotiations)  # the k-th inquiry's buyer answers in its thread
            return {
                "sender": f"buyer{k}@client{k % 11}.example",
                "subject": "Re: Price for the consulting package?",
                "thread": negotiations[k],
                "body": f"That is more than we hoped. Would you do {420 + i} EUR?",
            }
        case "personal mail, no rule":
            return {
                "sender": f"friend{i}@mail{i % 4}.example",
                "subject": f"Dinner on {['Friday', 'Saturday'][i % 2]}?",
                "body": "Are you free for dinner? Bring the kids.",
            }
        case "auto-reply":
            return {
                "sender": f"colleague{i}@firm{i % 9}.example",
                "subject": "Out of office",
                "body": "I am out of the office until Monday.",
                "headers": {"Auto-Submitted": "auto-replied"},
            }
        case _:
            return {
                "sender": "MAILER-DAEMON@mx.example",
                "subject": "Undelivered Mail Returned to Sender",
                "body": "This is the mail system. Your message could not be delivered.",
            }


def mailbox() -> list[Event]:
    events: list[Event] = []
    negotiations: list[str] = []
    for kind, count in MAILBOX:
        for i in range(count):
            event = _mail(len(events) + 1, kind, _spec(kind, i, negotiations))
            if kind.startswith("price inquiry"):
                negotiations.append(event.thread)
            events.append(event)
    return events


def make_home(root: Path, base_url: str) -> Path:
    shutil.copytree(ROOT / "rules", root / "rules")
    cfg = root / "config.toml"
    cfg.write_text(
        '[deputy]\ndata_dir = "data"\nrules_dir = "rules"\naddresses = ["deputy@localhost"]\n'
        'log_level = "WARNING"\n[digest]\nenabled = false\n'
        f'[llm]\nenabled = true\nbase_url = "{base_url}"\nmodel = "stub"\n',
        encoding="utf-8",
    )
    return cfg


async def run(root: Path) -> dict[str, Any]:
    fake = FakeOpenAI()
    fake.handler = plan_following_model
    await fake.start()
    deputy = Deputy(
        load(make_home(root, fake.base_url)), extra_connectors={"local": ("local", RecordingChannel())}
    )
    await deputy.start()
    events = mailbox()
    kind_of = {e.id: str(e.refs["bench_kind"]) for e in events}
    try:
        # One at a time, in order: the counter-offers must come after their inquiry.
        for event in events:
            await deputy.emit(event)
        await deputy.drain(timeout=300)
        rows = await deputy.store.db.fetchall(
            "SELECT event_id, outcome, llm_calls, tokens_in, tokens_out FROM audit"
            " WHERE event_id LIKE 'local:<mix-%'"
        )
    finally:
        await deputy.stop()
        await fake.stop()
    per_kind: dict[str, dict[str, float]] = defaultdict(lambda: defaultdict(float))
    for row in rows:
        k = per_kind[kind_of[row["event_id"]]]
        k["events"] += 1
        k["llm_calls"] += row["llm_calls"]
        k["tokens_in"] += row["tokens_in"]
        k["tokens_out"] += row["tokens_out"]
        k["no_model"] += row["llm_calls"] == 0
        k[f"outcome:{row['outcome']}"] += 1
    total = {
        key: sum(k.get(key, 0.0) for k in per_kind.values())
        for key in ("events", "llm_calls", "tokens_in", "tokens_out", "no_model")
    }
    return {"events_sent": len(events), "per_kind": per_kind, "total": total}


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="deputy-bench-") as tmp:
        result = event_loop.run(run(Path(tmp)))
    total = result["total"]
    events = total["events"] or 1
    print(f"mixed mailbox: {result['events_sent']} messages, {total['events']:.0f} audited")
    print(f"{'kind':40} {'events':>6} {'calls':>6} {'tok in':>8} {'tok out':>7}  outcomes")
    for kind, _ in MAILBOX:
        k = result["per_kind"].get(kind, {})
        outcomes = ", ".join(
            f"{key[8:]} {v:.0f}" for key, v in sorted(k.items()) if key.startswith("outcome:")
        )
        print(
            f"{kind:40} {k.get('events', 0):6.0f} {k.get('llm_calls', 0):6.0f} "
            f"{k.get('tokens_in', 0):8.0f} {k.get('tokens_out', 0):7.0f}  {outcomes}"
        )
    print(
        f"per event: {total['llm_calls'] / events:.2f} LLM calls, "
        f"{total['tokens_in'] / events:.0f} tokens in, "
        f"{total['tokens_out'] / events:.0f} tokens out; {100 * total['no_model'] / events:.0f}% of events "
        "needed no model call"
    )
    out = ROOT / "bench" / "results"
    out.mkdir(parents=True, exist_ok=True)
    (out / "mixed_mailbox.json").write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    print(f"written {out / 'mixed_mailbox.json'}")


if __name__ == "__main__":
    main()
