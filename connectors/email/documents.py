"""The readable text of the document parts of a mail: PDF invoices (pypdf) and
calendar invites (text/calendar), for the facts readers.

Bounded and fail-safe: at most the first pages of a PDF and a fixed number of
characters per part are read, and any failure (encrypted, malformed, a pypdf bug)
leaves the text empty and records a defect; a hostile PDF must never cost the message.
This runs inside ``parse_message``, which the intake already runs off the event loop.
"""

from __future__ import annotations

import io
import logging
from dataclasses import replace

from bot.events import Attachment
from connectors.email.mime import Tree, part_bytes, part_text
from connectors.email.text import clean

MAX_PDF_PAGES = 5
MAX_TEXT = 20_000
MAX_PDF_BYTES = 10 * 1024 * 1024
MAX_DOCUMENTS = 5

# pypdf logs every recoverable oddity of a broken file at WARNING; those are the
# sender's problem, recorded as a defect, not ours to log.
logging.getLogger("pypdf").setLevel(logging.ERROR)


def with_text(tree: Tree, attachments: list[Attachment], defects: list[str]) -> list[Attachment]:
    """``attachments`` with ``text`` filled for PDF and calendar parts."""
    out: list[Attachment] = []
    read = 0
    for attachment in attachments:
        kind = attachment.content_type
        is_pdf = kind == "application/pdf" or (
            kind == "application/octet-stream" and attachment.filename.lower().endswith(".pdf")
        )
        if read >= MAX_DOCUMENTS or not (is_pdf or kind == "text/calendar"):
            out.append(attachment)
            continue
        node = tree.find(attachment.part_id)
        if node is None:
            out.append(attachment)
            continue
        read += 1
        if is_pdf:
            text, problem = pdf_text(part_bytes(node.part))
            if problem:
                defects.append(f"{attachment.part_id}: PDF text not readable: {problem}")
            out.append(replace(attachment, text=text, content_type="application/pdf"))
        else:
            out.append(replace(attachment, text=clean(part_text(node.part), limit=MAX_TEXT)))
    return out


def pdf_text(data: bytes, *, max_pages: int = MAX_PDF_PAGES, limit: int = MAX_TEXT) -> tuple[str, str]:
    """(text, problem): the text of the first ``max_pages`` pages, at most ``limit``
    characters; ("", reason) on any failure."""
    if not data.startswith(b"%PDF") and b"%PDF" not in data[:1024]:
        return "", "not a PDF"
    if len(data) > MAX_PDF_BYTES:
        return "", f"larger than {MAX_PDF_BYTES} bytes"
    try:
        from pypdf import PdfReader

        reader = PdfReader(io.BytesIO(data), strict=False)
        if reader.is_encrypted:
            return "", "encrypted"
        chunks: list[str] = []
        total = 0
        for page in reader.pages[:max_pages]:
            chunk = page.extract_text() or ""
            chunks.append(chunk)
            total += len(chunk)
            if total >= limit:
                break
        return clean("\n".join(chunks), limit=limit), ""
    except Exception as exc:  # pypdf raises many kinds on hostile input; none may escape
        return "", clean(f"{type(exc).__name__}: {exc}", limit=200)
