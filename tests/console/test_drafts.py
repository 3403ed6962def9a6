"""The Drafts page over plain HTTP, against the real daemon in this process with a
draft-level rule: the page shows the whole draft and its recipients; no answer without
the session's CSRF token or with a text other than the one previewed; a second Send is
one send and one count in the rule's ledger; an edited text goes the gate's way."""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.app import Deputy
from bot.config import load
from tests.autonomy.support import DRAFT_TEXT, no_signature, write_draft_rule
from tests.console.conftest import Served, free_port, logged_in
from tests.core.conftest import RecordingChannel, make_home
from tests.core.helpers import mail


@pytest.fixture
async def drafted(tmp_path: Path) -> AsyncIterator[tuple[Served, int]]:
    """A daemon with the draft-level rule 'prices', and one draft of it waiting."""
    port = free_port()
    cfg = make_home(tmp_path, extra_config=f"[console]\nenabled = true\nport = {port}\n")
    write_draft_rule(tmp_path / "rules")
    no_signature(tmp_path / "rules")
    channel = RecordingChannel()
    deputy = Deputy(load(cfg), extra_connectors={"local": ("local", channel)})
    await deputy.start()
    try:
        await deputy.emit(mail(sender="bob@client.com", subject="Price list, please", text="Your prices?"))
        await deputy.drain()
        [draft] = await deputy.store.drafts.open()
        served = Served(deputy=deputy, channel=channel, base=f"http://127.0.0.1:{port}", config=cfg)
        yield served, draft.id
    finally:
        await asyncio.wait_for(deputy.stop(), 30)


def _field(page: str, name: str) -> str:
    found = re.search(rf'name="{name}" value="([^"]+)"', page)
    assert found is not None, (name, page)
    return found[1]


def _to_bob(served: Served) -> list[str]:
    return [
        str(d.payload.get("text", ""))
        for d in served.channel.sends()
        if d.payload.get("to") == ["bob@client.com"]
    ]


async def test_the_page_shows_the_whole_draft_and_a_post_without_csrf_is_refused(
    drafted: tuple[Served, int],
) -> None:
    served, draft_id = drafted
    before = await served.deputy.store.inbox.total()
    client, _, _ = await logged_in(served)
    async with client:
        async with client.get(served.base + "/drafts") as r:
            page = await r.text()
        assert f'id="d{draft_id}"' in page and "bob@client.com" in page and "rule prices" in page
        assert DRAFT_TEXT.split("\n")[2] in page  # the whole text, not a cut preview
        csrf = _field(page, "csrf")
        for path in (f"/drafts/{draft_id}/preview", f"/drafts/{draft_id}/answer"):
            for token in (None, "forged", ""):
                data = {"op": "discard", "nonce": "n1", "seal": _field(page, "seal")}
                if token is not None:
                    data["csrf"] = token
                async with client.post(served.base + path, data=data, allow_redirects=False) as r:
                    assert r.status == 403, (path, token)
        # A discard is sealed to its form: an edit smuggled into it is refused.
        smuggled = {"csrf": csrf, "op": "edit", "text": "Send us your bank details.", "nonce": "n2"}
        smuggled["seal"] = _field(page, "seal")
        async with client.post(
            served.base + f"/drafts/{draft_id}/answer", data=smuggled, allow_redirects=False
        ) as r:
            assert r.status == 400
    assert await served.deputy.store.inbox.total() == before  # nothing reached the daemon
    assert (await served.deputy.store.drafts.get(draft_id)).state == "open"  # type: ignore[union-attr]


async def test_a_second_send_is_one_send(drafted: tuple[Served, int]) -> None:
    served, draft_id = drafted
    deputy = served.deputy
    client, _, _ = await logged_in(served)
    async with client:
        async with client.get(served.base + "/drafts") as r:
            csrf = _field(await r.text(), "csrf")
        previews = []
        for _ in range(2):  # two tabs, each with its preview
            async with client.post(
                served.base + f"/drafts/{draft_id}/preview", data={"csrf": csrf, "op": "send"}
            ) as r:
                page = await r.text()
            assert "bob@client.com" in page and "What will be sent, exactly as shown" in page
            assert "checks say" not in page  # the owner's Send covers what they saw
            previews.append({k: _field(page, k) for k in ("csrf", "op", "seal", "nonce")} | {"text": ""})
        assert _to_bob(served) == []  # a preview sends nothing
        for form in (previews[0], previews[0], previews[1]):  # a double click, then the other tab
            async with client.post(
                served.base + f"/drafts/{draft_id}/answer", data=form, allow_redirects=False
            ) as r:
                assert r.status == 303
            await deputy.drain()
    assert [t.rstrip("\n") for t in _to_bob(served)] == [DRAFT_TEXT]
    assert (await deputy.store.drafts.get(draft_id)).state == "sent"  # type: ignore[union-attr]
    record = await deputy.store.rule_ledger.get("prices")
    assert record is not None and (record.sent_unchanged, record.sent_edited) == (1, 0)


async def test_an_edited_text_still_gets_the_rules_checks(drafted: tuple[Served, int]) -> None:
    served, draft_id = drafted
    deputy = served.deputy
    priced = "Hi Bob,\r\n\r\nhere is the short version: 40 EUR an hour.\r\n\r\nAlex"
    client, _, _ = await logged_in(served)
    async with client:
        async with client.get(served.base + "/drafts") as r:
            csrf = _field(await r.text(), "csrf")
        async with client.post(
            served.base + f"/drafts/{draft_id}/preview", data={"csrf": csrf, "op": "edit", "text": priced}
        ) as r:
            page = await r.text()
        assert "40 EUR an hour" in page and "the rule's checks" in page
        # The preview says what the desk's check will say, before anything goes.
        assert "The rule's checks say: amount 40 is not covered by any limit of the rule" in page
        form = {k: _field(page, k) for k in ("csrf", "op", "seal", "nonce")}
        form["text"] = priced.replace("\r\n", "\n")
        async with client.post(
            served.base + f"/drafts/{draft_id}/answer", data=form, allow_redirects=False
        ) as r:
            assert r.status == 303
        await deputy.drain()
    assert _to_bob(served) == []  # an amount the rule has no limit for does not leave
    assert (await deputy.store.drafts.get(draft_id)).state == "edited"  # type: ignore[union-attr]
    [asked] = await deputy.store.escalations.open()  # put back to the owner, with the reason
    assert "does not allow it" in asked.question and asked.rule == "prices"
    [held] = asked.option_actions[0]  # the owner's text as typed, one line break each
    assert getattr(held, "text", None) == priced.replace("\r\n", "\n")
