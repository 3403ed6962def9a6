"""An edited draft sent from the console is sent exactly once through a real SIGKILL:
the daemon runs as a subprocess (local mail in over SMTP, replies written out), the
owner's Send edited is posted over HTTP, the daemon is killed at once and started
again, and the same form posted again after the restart changes nothing."""

from __future__ import annotations

import asyncio
import re
from pathlib import Path

import aiohttp

from bot.console.auth import COOKIE
from tests.autonomy.support import no_signature, write_draft_rule
from tests.autonomy.test_drafts_cli import EDITED, body, draft_of, price_request
from tests.e2e.conftest import free_port, make_home, wait_until


def _field(page: str, name: str) -> str:
    found = re.search(rf'name="{name}" value="([^"]+)"', page)
    assert found is not None, (name, page)
    return found[1]


async def _session(link: str) -> str:
    async with aiohttp.ClientSession() as client:
        async with client.get(link, allow_redirects=False) as r:
            assert r.status == 303, await r.text()
            return r.cookies[COOKIE].value


async def _edit_form(base: str, session: str, draft: int) -> dict[str, str]:
    async with aiohttp.ClientSession(cookies={COOKIE: session}) as client:
        async with client.get(base + "/drafts") as r:
            csrf = _field(await r.text(), "csrf")
        data = {"csrf": csrf, "op": "edit", "text": EDITED}
        async with client.post(base + f"/drafts/{draft}/preview", data=data) as r:
            page = await r.text()
    assert "bob@example.org" in page
    return {k: _field(page, k) for k in ("csrf", "op", "seal", "nonce")} | {"text": EDITED}


async def _post(base: str, session: str, draft: int, form: dict[str, str]) -> int:
    async with aiohttp.ClientSession(cookies={COOKIE: session}) as client:
        async with client.post(base + f"/drafts/{draft}/answer", data=form, allow_redirects=False) as r:
            return r.status


def test_a_console_send_survives_a_sigkill_and_counts_once(tmp_path: Path) -> None:
    home = make_home(tmp_path / "deputy")
    try:
        write_draft_rule(home.root / "rules")
        no_signature(home.root / "rules")
        port = free_port()
        home.config.write_text(
            home.config.read_text() + f"\n[console]\nenabled = true\nport = {port}\n", encoding="utf-8"
        )
        base = f"http://127.0.0.1:{port}"
        home.start()
        home.send(price_request(1))
        draft = draft_of(home, 1)
        made = home.cli("console")
        assert made.returncode == 0, made.stderr
        session = asyncio.run(_session(made.stdout.strip()))
        form = asyncio.run(_edit_form(base, session, draft))
        assert asyncio.run(_post(base, session, draft, form)) == 303  # in the inbox before the 303
        home.kill()
        home.start()
        wait_until(lambda: home.replies_to("<price-1@example.org>"), timeout=30)
        assert asyncio.run(_post(base, session, draft, form)) == 303  # the same form again
        wait_until(home.drained, timeout=30)
        replies = home.replies_to("<price-1@example.org>")
        assert len(replies) == 1 and body(replies[0]) == EDITED  # byte for byte, once
        [row] = home.query("SELECT state, via FROM drafts WHERE id=?", (draft,))
        assert row["state"] == "edited"
        [ledger] = home.query("SELECT sent_edited, sent_unchanged FROM rule_ledger WHERE rule='prices'")
        assert (ledger["sent_edited"], ledger["sent_unchanged"]) == (1, 0)
        assert home.stop() == 0
    finally:
        home.cleanup()
