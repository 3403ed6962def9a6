"""The console's HTTP side without a browser: /healthz and /metrics as a supervisor and
Prometheus read them, an answer that must be the one previewed, retrying a quarantined
message, and the Activity filters and pages."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import aiohttp

from tests.console.conftest import Served, logged_in
from tests.core.helpers import mail

INVOICE, ASK = "Total due: 120.00 EUR.", "Open to a partnership?"


def _csrf(page: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', page)
    assert found is not None
    return found[1]


async def test_healthz_says_ready_and_names_a_degraded_part(served: Served) -> None:
    async with aiohttp.ClientSession() as client:
        async with client.get(served.base + "/healthz") as r:
            assert r.status == 200 and (await r.json())["ready"] is True
        # A part no loop beats for (a connector's own task): it stays degraded until it works.
        served.deputy.health.degraded("channel-email", "OperationalError: database is locked")
        async with client.get(served.base + "/healthz") as r:
            body = await r.json()
            assert r.status == 503 and body["live"] is True and body["ready"] is False
            assert body["degraded"] == {"channel-email": "OperationalError: database is locked"}
        async with client.get(served.base + "/healthz/live") as r:
            assert r.status == 200
        async with client.get(served.base + "/metrics") as r:
            text = await r.text()
    assert 'deputy_loop_restarts_total{part="channel-email"} 1' in text
    assert 'deputy_loop_restarts_total{part="sender"} 0' in text
    assert 'deputy_part_up{part="channel-email"} 0' in text


async def test_metrics_count_events_decisions_deliveries_and_model_use(served: Served) -> None:
    deputy = served.deputy
    for n in range(3):
        await deputy.emit(mail(sender="ap@acme-supplies.com", subject=f"Invoice {n}", text=INVOICE))
    await deputy.emit(mail(sender="x@unknown.example", subject="Hello?", text="Who are you?"))
    await deputy.drain()
    async with aiohttp.ClientSession() as client:
        async with client.get(served.base + "/metrics") as r:
            assert r.headers["Content-Type"].startswith("text/plain; version=0.0.4")
            text = await r.text()
    samples = dict(line.rsplit(" ", 1) for line in text.splitlines() if line and not line.startswith("#"))
    assert samples["deputy_events_in_total"] == "4"
    assert samples['deputy_decisions_total{outcome="handled"}'] == "3"
    assert samples['deputy_decisions_total{outcome="escalated"}'] == "1"
    assert int(samples['deputy_deliveries{state="sent"}']) >= 7  # 3 replies, 3 filings, 1 question
    assert samples['deputy_queue_depth{queue="inbox"}'] == "0"
    assert samples["deputy_model_calls_total"] == "0"  # rules-only: no model was called
    assert samples['deputy_model_tokens_total{direction="in"}'] == "0"
    for family in re.findall(r"^# TYPE (\S+) (\S+)$", text, re.M):
        assert family[1] in ("counter", "gauge")
        assert family[1] != "counter" or family[0].endswith("_total")


async def test_an_answer_must_be_the_one_previewed(served: Served) -> None:
    deputy = served.deputy
    await deputy.emit(mail(sender="carol@newco.example", subject="Partnership?", text=ASK))
    await deputy.drain()
    [question] = await deputy.store.escalations.open()
    client, _, _ = await logged_in(served)
    async with client:
        async with client.get(served.base + "/") as r:
            csrf = _csrf(await r.text())
        async with client.post(
            served.base + f"/questions/{question.id}/preview",
            data={"csrf": csrf, "text": "Thanks, talk soon."},
        ) as r:
            page = await r.text()
        assert "carol@newco.example" in page and "Thanks, talk soon." in page
        seal = re.search(r'name="seal" value="([^"]+)"', page)
        assert seal is not None
        changed = {"csrf": csrf, "text": "Send me your bank details.", "seal": seal[1], "nonce": "n1"}
        async with client.post(
            served.base + f"/questions/{question.id}/answer", data=changed, allow_redirects=False
        ) as r:
            assert r.status == 400  # not the text the owner saw
        assert await deputy.store.inbox.total() == 1
        same = {**changed, "text": "Thanks, talk soon."}
        for _ in range(2):  # the same form sent twice is one answer
            async with client.post(
                served.base + f"/questions/{question.id}/answer", data=same, allow_redirects=False
            ) as r:
                assert r.status == 303
        await deputy.drain()
    replies = [d for d in served.channel.sends() if "Thanks, talk soon." in str(d.payload.get("text", ""))]
    assert len(replies) == 1 and replies[0].payload["to"] == ["carol@newco.example"]
    assert (await deputy.store.escalations.get(question.id)).state == "answered"  # type: ignore[union-attr]


async def test_a_quarantined_message_is_retried(served: Served) -> None:
    deputy = served.deputy
    await deputy.emit(mail(sender="ap@acme-supplies.com", subject="Invoice 9", text=INVOICE))
    await deputy.drain()
    seq = await deputy.store.inbox.total()
    claimed = await deputy.store.db.fetchone("SELECT seq FROM inbox WHERE seq=?", (seq,))
    assert claimed is not None
    await deputy.store.db.write(
        lambda conn: conn.execute(
            "UPDATE inbox SET state='quarantined', last_error='boom' WHERE seq=?", (seq,)
        )
    )
    client, _, _ = await logged_in(served)
    async with client:
        async with client.get(served.base + "/health") as r:
            page = await r.text()
        assert "boom" in page
        async with client.post(
            served.base + f"/health/retry/{seq}", data={"csrf": _csrf(page)}, allow_redirects=False
        ) as r:
            assert r.status == 303
        await deputy.drain()
    counts = await deputy.store.inbox.counts()
    assert counts.get("quarantined", 0) == 0 and counts["done"] == 1


async def test_activity_filters_search_and_pages(served: Served) -> None:
    deputy = served.deputy
    for n in range(60):  # one address each: no send budget asks about the later ones
        await deputy.emit(mail(sender=f"ap{n}@acme-supplies.com", subject=f"Invoice {n}", text=INVOICE))
    await deputy.emit(mail(sender="carol@newco.example", subject="Partnership?", text=ASK))
    await deputy.drain()
    client, _, _ = await logged_in(served)
    async with client:
        async with client.get(served.base + "/activity") as r:
            first = await r.text()
        assert first.count("<tr>") == 51  # a header and a page of 50
        older = re.search(r'id="older" href="([^"]+)"', first)
        assert older is not None
        async with client.get(served.base + older[1].replace("&amp;", "&")) as r:
            second = await r.text()
        assert second.count("<tr>") == 12 and "Invoice 0<" in second and "Invoice 0<" not in first
        async with client.get(served.base + "/activity?outcome=escalated") as r:
            only = await r.text()
        assert only.count("<tr>") == 2 and "Partnership?" in only
        async with client.get(served.base + "/activity?sender=carol@newco.example") as r:
            assert (await r.text()).count("<tr>") == 2
        async with client.get(served.base + "/activity?q=Invoice+5") as r:
            found = await r.text()
        assert "Invoice 5<" in found and "Invoice 59<" in found and "Invoice 6<" not in found
        async with client.get(served.base + "/activity?q=100%25") as r:  # LIKE wildcards are literal
            assert "No decisions match." in await r.text()


async def test_spend_is_drawn_per_day_and_per_rule(served: Served) -> None:
    import time

    from bot.store import AuditEntry

    day = 86400.0
    now = time.time()
    async with served.deputy.store.db.transaction() as tx:
        for n, (rule, back) in enumerate((("sales", 0), ("sales", 0), ("invoices", day), ("sales", 2 * day))):
            entry = AuditEntry(
                event_id=f"local:<s{n}@x>",
                outcome="handled",
                rule=rule,
                llm_calls=1 + n,
                tokens_in=1000 * (n + 1),
                tokens_out=10,
                at=now - back,
            )
            await served.deputy.store.audit.add_in(tx, entry)
    client, _, _ = await logged_in(served)
    async with client:
        async with client.get(served.base + "/spend") as r:
            page = await r.text()
    charts = re.findall(r"<svg .*?</svg>", page, re.S)
    assert len(charts) == 3  # calls per day, tokens per day, tokens per rule
    assert [c.count("<rect") for c in charts] == [3, 3, 2]
    assert "<td>sales</td><td>7</td><td>7000</td><td>30</td>" in page  # 1+2+4 calls, 1000+2000+4000 in
    assert "<td>invoices</td><td>3</td><td>3000</td><td>10</td>" in page


async def test_what_a_correspondent_writes_is_shown_never_run(served: Served) -> None:
    evil = "<script>alert(1)</script>"
    event = mail(sender="x@evil.example", sender_name=f"<b>{evil}</b>", subject=evil, text=f"Hi {evil}")
    await served.deputy.emit(event)
    await served.deputy.drain()
    client, _, _ = await logged_in(served)
    pages = []
    async with client:
        for path in (
            "/",
            "/activity",
            "/conversations",
            f"/conversation?thread=local:{event.thread}",
            "/health",
        ):
            async with client.get(served.base + path) as r:
                assert r.status == 200
                pages.append(await r.text())
    assert all("<script>alert" not in p and "<b>" not in p for p in pages)
    assert all("&lt;script&gt;alert(1)&lt;/script&gt;" in p for p in pages[:4])


async def test_the_rules_tried_on_stored_mail_show_what_would_change(served: Served) -> None:
    deputy = served.deputy
    await deputy.emit(mail(sender="ap@acme-supplies.com", subject="Invoice 12", text=INVOICE))
    await deputy.drain()
    before = await deputy.store.outbox.counts(), await deputy.store.audit.counts("rule")
    (served.config.parent / "rules" / "invoices.md").unlink()  # the owner drops the rule
    today = datetime.now(UTC).date().isoformat()
    client, _, _ = await logged_in(served)
    async with client:
        async with client.get(served.base + f"/rules/try?since={today}") as r:
            assert r.status == 200
            page = await r.text()
        async with client.get(served.base + "/rules/try?since=yesterday") as r:
            assert r.status == 400
            assert "expected a date" in await r.text()
    assert "1 messages: 1 would be handled differently" in page
    assert "Invoice 12" in page and "by invoices" in page  # then: the invoices rule
    # The trial wrote nothing: no outbox row, no decision.
    assert (await deputy.store.outbox.counts(), await deputy.store.audit.counts("rule")) == before
