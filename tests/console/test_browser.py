"""The console in a real browser: Debian's Chromium, headless, driven by Playwright,
against the real daemon run as a subprocess (SMTP in on its local listener, replies out
through its relay to an aiosmtpd server). One browser and one daemon for the module;
the tests run in file order, as one owner's session would.

Flows: log in with the one-time link from `deputy console`; a question appears live when
its mail comes in, is answered with a preview, and the reply reaches the SMTP server;
Activity updates live; a draft appears live, is edited and sent (the SMTP server gets
exactly the edited body), another is discarded (nothing goes); a learned rule is
confirmed; a task is paused (its timers held), resumed and cancelled. Each page's
screenshot is saved (to docs/console/ with DEPUTY_SCREENSHOTS_DIR=docs/console).
"""

from __future__ import annotations

import asyncio
import os
import shutil
import tempfile
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
from aiosmtpd.controller import Controller

from tests.autonomy.support import no_signature, write_draft_rule
from tests.e2e.conftest import Home, free_port, mail, make_home
from tests.faults.conftest import Recorder

pytestmark = [
    pytest.mark.asyncio(loop_scope="module"),
    pytest.mark.skipif(
        shutil.which("chromium") is None, reason="needs Debian's chromium (scripts/test.sh installs it)"
    ),
]

# The committed screenshots in docs/console/ are refreshed with
# DEPUTY_SCREENSHOTS_DIR=docs/console; otherwise they go to a temporary folder, so a test
# run leaves the tree clean.
SHOTS = Path(os.environ.get("DEPUTY_SCREENSHOTS_DIR") or tempfile.mkdtemp(prefix="deputy-console-shots-"))
SHOTS.mkdir(parents=True, exist_ok=True)
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
CATALOGUE = "Hello,\n\nthank you for asking: our catalogue follows by mail.\n\nKind regards"
EDITED = "Hello Dana,\n\nthe catalogue is on its way by post, with this year's prices.\n\nAlex"
WAIT_MS = 30_000  # generous on a shared machine: only against hanging, never asserted


class Deployment:
    def __init__(self, home: Home, recorder: Recorder, console_port: int) -> None:
        self.home, self.recorder, self.console_port = home, recorder, console_port
        self.link = ""

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.console_port}"

    def sent_to(self, address: str) -> list[Any]:
        with self.recorder.lock:
            return [m for m in self.recorder.messages if address in str(m["To"])]


async def until(predicate: Any, *, within: float = 30.0) -> Any:
    deadline = time.monotonic() + within
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"not within {within:.0f}s: {predicate}")
        await asyncio.sleep(0.05)


@pytest.fixture(scope="module")
def deployment(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Deployment]:
    recorder = Recorder()
    smtp_port = free_port()
    controller = Controller(recorder, hostname="127.0.0.1", port=smtp_port)
    controller.start()
    home = make_home(tmp_path_factory.mktemp("console") / "deputy")
    write_draft_rule(home.root / "rules", name="catalogue", subject="(?i)catalogue", text=CATALOGUE)
    no_signature(home.root / "rules")  # a reply's body is exactly the text approved
    console_port = free_port()
    text = home.config.read_text().replace('log_level = "INFO"', 'log_level = "DEBUG"')
    home.config.write_text(
        text
        + f'relay_host = "127.0.0.1"\nrelay_port = {smtp_port}\nrelay_security = "none"\n'
        + f"\n[console]\nenabled = true\nport = {console_port}\n"
    )
    try:
        home.start()
        yield Deployment(home, recorder, console_port)
        home.stop()
    finally:
        home.cleanup()
        controller.stop()


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def page(deployment: Deployment) -> AsyncIterator[Any]:
    from playwright.async_api import async_playwright

    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=shutil.which("chromium"), args=ARGS)
        context = await browser.new_context(viewport={"width": 1200, "height": 800})
        context.set_default_timeout(WAIT_MS)
        tab = await context.new_page()
        try:
            yield tab
        finally:
            await context.close()
            await browser.close()


async def shot(page: Any, name: str) -> None:
    await page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


async def test_login_with_the_one_time_link(deployment: Deployment, page: Any) -> None:
    made = deployment.home.cli("console")
    assert made.returncode == 0, made.stderr
    deployment.link = made.stdout.strip()
    assert deployment.link.startswith(deployment.base + "/login?token=")
    refused = await page.goto(deployment.base + "/")
    assert refused is not None and refused.status == 401
    await page.goto(deployment.link)
    assert page.url == deployment.base + "/"  # the token left the address bar
    assert await page.locator("h1").inner_text() == "Questions"
    cookie = next(c for c in await page.context.cookies() if c["name"] == "deputy_console")
    assert cookie["httpOnly"] and cookie["secure"] and cookie["sameSite"] == "Strict"
    again = await page.context.browser.new_context()
    try:
        other = await again.new_page()
        second = await other.goto(deployment.link)
        assert second is not None and second.status == 403  # it works once
    finally:
        await again.close()


async def test_a_question_arrives_live_and_its_answer_reaches_smtp(deployment: Deployment, page: Any) -> None:
    await page.goto(deployment.base + "/")
    # A locator, not wait_for_function: a string predicate is eval'd on each poll, which
    # the console's Content-Security-Policy (no 'unsafe-eval') rightly refuses.
    await page.locator("#live-state.on").wait_for()
    await page.evaluate("window.__same_page = true")
    deployment.home.send(
        mail(
            sender="Carol <carol@newco.example>",
            subject="Partnership?",
            message_id="<carol-1@newco.example>",
            text="Hello, would you be open to a partnership next quarter?",
        )
    )
    card = page.locator("section.question", has_text="Partnership?")
    await card.wait_for()
    assert await page.evaluate("window.__same_page") is True  # updated live, not reloaded
    await shot(page, "questions")
    answer = "Thanks, I'll call you tomorrow."
    await card.locator("textarea").fill(answer)
    await card.get_by_role("button", name="Preview what will be sent").click()
    preview = page.locator("#preview")
    await preview.wait_for()
    assert "carol@newco.example" in await preview.locator(".recipients").inner_text()
    assert answer in await preview.inner_text()
    await shot(page, "answer-preview")
    assert deployment.sent_to("carol@newco.example") == []  # nothing went before the yes
    await page.get_by_role("button", name="Send this answer").click()
    await page.locator(".flash").wait_for()
    sent = await until(lambda: deployment.sent_to("carol@newco.example"))
    assert len(sent) == 1 and answer in sent[0].get_body(("plain",)).get_content()
    assert "Partnership?" in str(sent[0]["Subject"])


async def test_activity_updates_live_and_filters(deployment: Deployment, page: Any) -> None:
    await page.goto(deployment.base + "/activity")
    # A locator, not wait_for_function: a string predicate is eval'd on each poll, which
    # the console's Content-Security-Policy (no 'unsafe-eval') rightly refuses.
    await page.locator("#live-state.on").wait_for()
    await page.evaluate("window.__same_page = true")
    deployment.home.send(
        mail(
            sender="ap@acme-supplies.com",
            subject="Invoice 77",
            message_id="<inv-77@acme-supplies.com>",
            text="Hello,\n\nplease find our invoice. Total due: 120.00 EUR.\n",
        )
    )
    row = page.locator("tr", has_text="Invoice 77")
    await row.first.wait_for()
    assert await page.evaluate("window.__same_page") is True
    assert "invoices" in await row.first.inner_text()
    await shot(page, "activity")
    await page.fill("input[name=q]", "Partnership")
    await page.get_by_role("button", name="Filter").click()
    await page.locator("tr", has_text="Partnership?").first.wait_for()
    assert await page.locator("tr", has_text="Invoice 77").count() == 0


async def test_a_draft_arrives_live_is_edited_and_sent_another_discarded(
    deployment: Deployment, page: Any
) -> None:
    await page.goto(deployment.base + "/drafts")
    # A locator, not wait_for_function: a string predicate is eval'd on each poll, which
    # the console's Content-Security-Policy (no 'unsafe-eval') rightly refuses.
    await page.locator("#live-state.on").wait_for()
    await page.evaluate("window.__same_page = true")
    for who in ("dana", "erin"):
        deployment.home.send(
            mail(
                sender=f"{who}@shop.example",
                subject="Catalogue request",
                message_id=f"<cat-{who}@shop.example>",
                text="Hello, could you send us your catalogue?",
            )
        )
    dana = page.locator("section.draft", has_text="dana@shop.example")
    erin = page.locator("section.draft", has_text="erin@shop.example")
    await dana.wait_for()
    await erin.wait_for()
    assert await page.evaluate("window.__same_page") is True  # updated live, not reloaded
    assert await dana.locator("pre").inner_text() == CATALOGUE  # the whole text
    assert "rule catalogue" in await dana.inner_text()
    await shot(page, "drafts")
    assert await dana.locator("textarea").input_value() == CATALOGUE  # the edit starts from it
    await dana.locator("textarea").fill(EDITED)
    await dana.get_by_role("button", name="Preview edited text").click()
    preview = page.locator("#preview")
    await preview.wait_for()
    assert await preview.locator(".recipients").inner_text() == "dana@shop.example"
    assert await preview.locator("pre").inner_text() == EDITED
    assert deployment.sent_to("dana@shop.example") == []  # nothing went before the yes
    await page.get_by_role("button", name="Send this").click()
    await page.locator(".flash", has_text="your text is recorded").wait_for()
    sent = await until(lambda: deployment.sent_to("dana@shop.example"))
    # On the wire every line ends in CRLF (RFC 5321 section 2.3.8); the text is the owner's.
    body = sent[0].get_body(("plain",)).get_content().replace("\r\n", "\n")
    assert len(sent) == 1 and body.rstrip("\n") == EDITED
    await (
        page.locator("section.draft", has_text="erin@shop.example")
        .get_by_role("button", name="Discard")
        .click()
    )
    await page.locator(".flash", has_text="discarded").wait_for()

    def closed() -> list[Any]:
        return deployment.home.query("SELECT state FROM drafts WHERE state != 'open' ORDER BY id")

    await until(lambda: len(closed()) == 2)
    assert [r["state"] for r in closed()] == ["edited", "discarded"]
    # The discard and whatever it would send are one commit: nothing is queued for Erin.
    assert deployment.home.query("SELECT 1 FROM outbox WHERE recipient LIKE '%dana@%'")  # as Dana's was
    assert deployment.home.query("SELECT 1 FROM outbox WHERE recipient LIKE '%erin@%'") == []
    assert deployment.sent_to("erin@shop.example") == []


async def test_confirm_a_learned_rule(deployment: Deployment, page: Any) -> None:
    deployment.home.send(
        mail(
            sender="promo@deals.example",
            subject="Big savings this week",
            message_id="<promo-1@deals.example>",
            text="Dear customer, would you like to see our offers?",
        )
    )
    await page.goto(deployment.base + "/")
    card = page.locator("section.question", has_text="Big savings this week")
    await card.wait_for()
    await card.locator("textarea").fill("From now on ignore mail from this sender")
    await card.get_by_role("button", name="Preview what will be sent").click()
    assert "learned rule" in await page.locator("#preview").inner_text()
    assert "Nothing will be sent to anyone" in await page.locator("#preview").inner_text()
    await page.get_by_role("button", name="Send this answer").click()
    await page.locator(".flash").wait_for()

    def proposed() -> bool:
        return bool(deployment.home.query("SELECT 1 FROM learned_rules WHERE state='proposed'"))

    await until(proposed)
    await page.goto(deployment.base + "/rules")
    learned = page.locator("tr", has_text="promo@deals.example")
    await learned.get_by_role("button", name="Confirm").click()
    await page.locator(".flash", has_text="is active").wait_for()
    rows = deployment.home.query("SELECT state, scope FROM learned_rules")
    assert [(r["state"], r["scope"]) for r in rows] == [("active", "promo@deals.example")]
    assert "active" in await page.locator("tr", has_text="promo@deals.example").inner_text()
    assert await page.locator("td", has_text="learned-1").count() == 1  # in the rulebook at once
    await shot(page, "rules")


async def test_pause_resume_and_cancel_a_task(deployment: Deployment, page: Any) -> None:
    added = deployment.home.cli(
        "task", "add", "quotes", "--to", "a@print-a.example", "--to", "b@print-b.example",
        "--subject", "Quote for 500 brochures", "--request", "Could you quote 500 brochures, A5?",
        "--budget", "300 EUR",
    )  # fmt: skip
    assert added.returncode == 0, added.stderr
    await until(lambda: deployment.sent_to("a@print-a.example") and deployment.sent_to("b@print-b.example"))
    await page.goto(deployment.base + "/tasks")
    task = page.locator("tr", has_text="brochures")
    await task.locator(".state", has_text="waiting").wait_for()
    [row] = deployment.home.query("SELECT id FROM tasks")
    timers = "SELECT state FROM timers WHERE key LIKE ? ORDER BY key"
    # Pause: the daemon carries out the owner's "pause task N"; the page follows live.
    await task.get_by_role("button", name="Pause").click()
    await page.locator(".flash", has_text="Pausing task").wait_for()
    await task.locator(".state", has_text="paused").wait_for()
    assert "paused since" in await task.inner_text() and "was waiting" in await task.inner_text()
    held = deployment.home.query(timers, (f"task:{row['id']}:%",))
    assert [r["state"] for r in held] == ["held", "held"]  # no follow-up, no deadline while paused
    await shot(page, "tasks")
    await task.get_by_role("button", name="Resume").click()
    await page.locator(".flash", has_text="Resuming task").wait_for()
    await task.locator(".state", has_text="waiting").wait_for()
    again = deployment.home.query(timers, (f"task:{row['id']}:%",))
    assert [r["state"] for r in again] == ["pending", "pending"]
    await task.get_by_role("button", name="Cancel").click()
    await page.locator(".flash", has_text="cancelled").wait_for()
    assert "failed" in await page.locator("tr", has_text="brochures").inner_text()
    [row] = deployment.home.query("SELECT id, state, result FROM tasks")
    assert row["state"] == "failed" and "cancelled" in row["result"]
    pending = deployment.home.query(
        "SELECT key FROM timers WHERE state='pending' AND key LIKE ?", (f"task:{row['id']}:%",)
    )
    assert pending == []  # no follow-up will go out
    assert len(deployment.sent_to("a@print-a.example")) == 1  # nothing went out for it meanwhile


async def test_every_page_renders_and_is_pictured(deployment: Deployment, page: Any) -> None:
    for path, name, heading in (
        ("/conversations", "conversations", "Conversations"),
        ("/health", "health", "Health"),
        ("/spend", "spend", "Spend"),
    ):
        response = await page.goto(deployment.base + path)
        assert response is not None and response.status == 200
        assert await page.locator("h1").inner_text() == heading
        await shot(page, name)
    await page.goto(deployment.base + "/conversations")
    await page.get_by_role("link", name="Partnership?").click()
    thread = page.locator("main")
    await thread.locator("section.message").first.wait_for()
    text = await thread.inner_text()
    assert "would you be open to a partnership" in text and "Thanks, I'll call you tomorrow." in text
    await shot(page, "conversation")
    assert {name.removesuffix(".png") for name in os.listdir(SHOTS)} >= {
        "questions",
        "answer-preview",
        "activity",
        "rules",
        "tasks",
        "health",
        "spend",
        "drafts",
    }


async def test_no_secret_reached_the_daemon_log(deployment: Deployment, page: Any) -> None:
    session = next(c["value"] for c in await page.context.cookies() if c["name"] == "deputy_console")
    token = deployment.link.split("token=")[1]
    log = "\n".join(p.read_text(errors="replace") for p in deployment.home.log_files)
    assert "console listening" in log  # the log is the daemon's, at DEBUG all along
    assert token not in log and session not in log
