"""A draft-level rule for the autonomy tests, written into a test home's rules/."""

from __future__ import annotations

from pathlib import Path

# Long enough that a chat preview must be split (Telegram's limit is 4096 UTF-16 units).
PARAGRAPH = (
    "Thank you for asking about our price list. Our rates depend on the volume and the "
    "delivery dates you need, and we are glad to put together an offer for you. "
)
DRAFT_TEXT = "Hello,\n\n" + PARAGRAPH * 3 + "\n\nWe will be in touch."
LONG_TEXT = "Hello,\n\n" + "\n\n".join(f"{i}. {PARAGRAPH}" for i in range(1, 41)) + "\n\nThe end."


def write_draft_rule(
    rules: Path,
    *,
    text: str = DRAFT_TEXT,
    level: str = "draft",
    name: str = "prices",
    subject: str = "(?i)price list",
) -> None:
    template = text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
    (rules / f"{name}.md").write_text(
        "+++\n"
        f'name = "{name}"\n'
        f'when.subject = "{subject}"\n'
        'may = ["reply"]\n'
        f'autonomy = "{level}"\n'
        f'reply = {{ template = "{template}" }}\n'
        "priority = 50\n"
        "+++\n"
        "Answer requests for the price list.\n",
        encoding="utf-8",
    )


def no_signature(rules: Path) -> None:
    """The owner signs nothing, so a reply's body is exactly the text that was approved."""
    owner = rules / "owner.md"
    signed = 'signature = "Best regards,\\nAlex Example"'
    owner.write_text(owner.read_text(encoding="utf-8").replace(signed, 'signature = ""'), encoding="utf-8")
