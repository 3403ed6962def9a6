"""The pieces of autonomy alone: the level keys and their errors, the autonomy step,
the draft's preview, reading the owner's answer, and the ledger across a reopen."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from bot.actions import Escalate, File, Ignore, Reply
from bot.config import load
from bot.effects.drafting import DRAFT, changed_ratio, draft_question, edited, read_answer
from bot.effects.escalation import render_prompt
from bot.errors import ConfigError
from bot.judgment.drafts import drafts
from bot.judgment.gate import Checked
from bot.judgment.record import outcome_of
from bot.rules import load_rulebook
from bot.store import RuleLedger, Store
from connectors.chat_text import split_text, utf16_len
from tests.autonomy.support import LONG_TEXT
from tests.core.helpers import mail

ROOT = Path(__file__).resolve().parents[2]


def test_unknown_levels_are_errors_naming_file_line_and_key(tmp_path: Path) -> None:
    cfg = tmp_path / "config.toml"
    cfg.write_text('[deputy]\ndata_dir = "data"\n\n[autonomy]\ndefault = "yolo"\n', encoding="utf-8")
    with pytest.raises(ConfigError) as err:
        load(cfg)
    assert f"{cfg}:5: autonomy.default:" in str(err.value) and "'shadow', 'draft' or 'auto'" in str(err.value)
    cfg.write_text("[autonomy]\npromote_after = 0\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"autonomy\.promote_after"):
        load(cfg)

    rules = tmp_path / "rules"
    shutil.copytree(ROOT / "rules", rules)
    bad = rules / "bad.md"
    header = 'name = "bad"\nmay = ["reply"]\nautonomy = "sometimes"\n'
    bad.write_text(f"+++\n{header}+++\nbody\n", encoding="utf-8")
    with pytest.raises(ConfigError) as err:
        load_rulebook(rules)
    assert f"{bad}:4: autonomy:" in str(err.value)


def test_the_shipped_rules_stay_automatic() -> None:
    settings = load(ROOT / "config.toml")
    assert settings.autonomy.default == "auto"
    assert all(r.header.autonomy is None for r in load_rulebook(ROOT / "rules").rules)


def _checked() -> Checked:
    reply = Reply(text="Our prices, in full.", to=("bob@client.com",))
    return Checked(allowed=[File(folder="Quotes"), reply])


def test_auto_acts_draft_holds_what_leaves_shadow_does_nothing() -> None:
    checked = _checked()
    assert drafts(checked, rule="prices", level="auto") is checked

    held = drafts(checked, rule="prices", level="draft")
    assert isinstance(held.allowed[0], File)  # filing stays inside: it is done
    question = held.allowed[-1]
    assert isinstance(question, Escalate) and question.reason == DRAFT
    assert question.options == ("Send", "Discard")
    assert question.option_actions[0] == (checked.allowed[1],)
    assert question.option_actions[1] == (Ignore(reason="owner: discard the draft"),)
    assert question.default_option == 1  # silence sends nothing
    assert outcome_of(held) == "escalated"

    shadow = drafts(checked, rule="prices", level="shadow")
    assert shadow.allowed == [] and outcome_of(shadow) == "shadow"
    assert shadow.shadow[0].startswith("would have done file")
    assert "bob@client.com" in shadow.shadow[1] and "Our prices, in full." in shadow.shadow[1]
    nothing = drafts(Checked(allowed=[Ignore(reason="x")]), rule="prices", level="shadow")
    assert nothing.shadow == ("would have done nothing",)


def test_a_long_draft_preview_has_every_recipient_and_every_word_split_not_cut() -> None:
    event = mail(sender="bob@client.com", subject="Price list")
    reply = Reply(text=LONG_TEXT, to=("bob@client.com",), cc=("carol@client.com",))
    prompt = render_prompt(12, draft_question((reply,), rule="prices"), event)
    assert "sends to bob@client.com, cc carol@client.com:" in prompt
    for line in LONG_TEXT.splitlines():
        assert f"| {line}" in prompt  # every line, whole
    assert "deputy send 12 [--edit], deputy discard 12" in prompt
    parts = split_text(prompt, limit=4096, measure="utf16")  # what the Telegram connector sends
    assert len(parts) > 1 and "".join(parts) == prompt
    assert all(utf16_len(p) <= 4096 for p in parts)
    assert all(p[-1] in " \n" or p is parts[-1] for p in parts)  # cut between words, never inside


def test_reading_the_owners_answer_and_editing() -> None:
    assert read_answer(" Send ") == ("send", "") and read_answer("1") == ("send", "")
    assert read_answer("discard.") == ("discard", "") and read_answer("2") == ("discard", "")
    assert read_answer("Send me the bill") == ("edit", "Send me the bill")
    reply, file = Reply(text="old", to=("a@b.c",), cc=("d@b.c",)), File(folder="X")
    assert edited((file, reply), "new") == (file, Reply(text="new", to=("a@b.c",), cc=("d@b.c",)))
    assert changed_ratio("same", "same") == 0.0
    assert changed_ratio("abcd", "wxyz") == 1.0
    assert 0 < changed_ratio("Hello Bob, prices attached.", "Hello Bob, the prices are attached.") < 0.5


async def test_the_ledger_counts_and_keeps_the_level_across_a_reopen(tmp_path: Path) -> None:
    path = tmp_path / "deputy.sqlite3"
    store = Store(path)
    await store.open()
    async with store.db.transaction() as tx:
        await RuleLedger.count_in(tx, "prices", "sent")
        await RuleLedger.count_in(tx, "prices", "sent")
        record = await RuleLedger.count_in(tx, "prices", "edited", changed=0.25)
        assert record.streak == 0  # an edit breaks the run of unchanged sends
        await RuleLedger.count_in(tx, "prices", "sent")
        await RuleLedger.count_in(tx, "prices", "discarded")
        record = await RuleLedger.count_in(tx, "prices", "sent")
        await RuleLedger.set_level_in(tx, "prices", "auto")
    await store.close()
    assert record.streak == 1

    store = Store(path)
    await store.open()
    try:
        found = await store.rule_ledger.get("prices")
        assert found is not None
        assert (found.sent_unchanged, found.sent_edited, found.discarded, found.undone) == (4, 1, 1, 0)
        assert found.mean_changed == 0.25 and found.level == "auto"
        assert found.summary() == "4 sent unchanged, 1 edited (25% changed on average), 1 discarded, 0 undone"
        assert await store.rule_ledger.get("other") is None
    finally:
        await store.close()


def test_a_drafts_folder_without_a_sent_folder_is_refused(tmp_path: Path) -> None:
    cfg = tmp_path / "config.toml"
    cfg.write_text(
        '[channels.email]\ntype = "email"\nimap_host = "127.0.0.1"\nusername = "u"\nsmtp_host = "127.0.0.1"\n'
        'address = "deputy@example.com"\ndrafts_folder = "Drafts"\n',
        encoding="utf-8",
    )
    with pytest.raises(ConfigError, match="drafts_folder needs sent_folder"):
        load(cfg)
