"""Saving attachments into the sandbox directory.

The sender's filename is never used as a path: names are generated from the
Message-ID and MIME part id, and only a sanitised, shortened form of the original
name is kept as a readable suffix (no separators, no leading dots, no control or
bidi characters), so ``../../etc/passwd`` or ``invoice\u202efdp.exe`` cannot
escape the directory or disguise an extension.
"""

from __future__ import annotations

import hashlib
import os
import re
import unicodedata
from pathlib import Path

from bot.faults import fault
from connectors.email.headers import SAFE_POLICY
from connectors.email.mime import build_tree, filename, part_bytes
from connectors.email.scrub import scrub_raw

_SAFE = re.compile(r"[^A-Za-z0-9._-]+")


def safe_suffix(name: str) -> str:
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    base = _SAFE.sub("_", os.path.basename(ascii_name.replace("\\", "/"))).strip("._")
    stem, dot, ext = base.rpartition(".")
    if dot and 0 < len(ext) <= 10:
        return f"{stem[:60]}.{ext}" if stem else f"file.{ext}"
    return base[:60] or "file"


def save_attachments(
    raw: bytes, *, directory: Path, message_id: str, secret: str | None = None
) -> list[Path]:
    """Write every attachment of ``raw`` under ``directory``; returns the paths.
    Saving twice writes the same names (idempotent under retries). The owner's
    plus-address ``secret`` is scrubbed from each (a forwarded .eml carries it)."""
    from email.parser import BytesParser

    directory.mkdir(parents=True, exist_ok=True)
    root = directory.resolve()
    msg = BytesParser(policy=SAFE_POLICY).parsebytes(raw)
    tree = build_tree(msg, max_depth=20, max_parts=200)
    prefix = hashlib.sha256(message_id.encode("utf-8", "replace")).hexdigest()[:16]
    saved: list[Path] = []
    for node in tree.nodes():
        if not node.attachment:
            continue
        name = filename(node.part) or ("message.eml" if node.content_type == "message/rfc822" else "")
        target = (root / f"{prefix}-{node.part_id}-{safe_suffix(name)}").resolve()
        if target.parent != root:
            continue  # cannot happen with the sanitiser; refuse rather than trust it
        tmp = target.with_name(target.name + ".part")
        data = scrub_raw(part_bytes(node.part), secret, mime=node.content_type == "message/rfc822")
        tmp.write_bytes(data)
        os.replace(tmp, target)
        fault("after_attachment_write")
        saved.append(target)
    return saved
