"""The MIME tree of one message, walked once with hard caps.

Part ids follow IMAP's numbering (RFC 3501 6.4.5: "1", "1.2", ...) so the same id
locates a part when an attachment is saved later from a re-fetched copy.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from email.message import Message

from bot.events import Attachment
from connectors.email.html_text import html_to_text
from connectors.email.text import clean, decode_bytes

TEXT_LIMIT = 1_000_000


@dataclass(slots=True, kw_only=True)
class Node:
    part: Message
    part_id: str
    depth: int
    content_type: str
    children: list[Node] = field(default_factory=list)
    attachment: bool = False


@dataclass(slots=True, kw_only=True)
class Tree:
    root: Node
    defects: list[str] = field(default_factory=list)
    count: int = 0

    def nodes(self) -> list[Node]:
        out: list[Node] = []
        stack = [self.root]
        while stack:
            node = stack.pop()
            out.append(node)
            stack.extend(reversed(node.children))
        return out

    def find(self, part_id: str) -> Node | None:
        for node in self.nodes():
            if node.part_id == part_id:
                return node
        return None


def _content_type(part: Message) -> str:
    try:
        return part.get_content_type().lower()
    except Exception:
        return "application/octet-stream"


def filename(part: Message) -> str:
    try:
        name = part.get_filename()
    except Exception:
        name = None
    return clean(name or "", keep_newlines=False, limit=255)


def _is_attachment(part: Message, ctype: str) -> bool:
    try:
        disposition = (part.get_content_disposition() or "").lower()
    except Exception:
        disposition = ""
    if disposition == "attachment" or filename(part):
        return True
    if ctype == "message/rfc822":
        return True
    return ctype not in ("text/plain", "text/html") and not ctype.startswith("multipart/")


def build_tree(msg: Message, *, max_depth: int, max_parts: int) -> Tree:
    """Walk the parsed message; parts past the caps are left out and noted as defects."""
    tree = Tree(root=Node(part=msg, part_id="", depth=0, content_type=_content_type(msg)))
    tree.count = 1
    stack: list[Node] = [tree.root]
    truncated_depth = truncated_parts = False
    while stack:
        node = stack.pop()
        _collect_defects(tree, node)
        container = node.content_type.startswith("multipart/") or (
            node.content_type == "message/rfc822" and node is not tree.root
        )
        if container:
            children = _children(node)
            if node.depth >= max_depth and children:
                truncated_depth = True
                children = []
            for index, child in enumerate(children, start=1):
                if tree.count >= max_parts:
                    truncated_parts = True
                    break
                tree.count += 1
                part_id = f"{node.part_id}.{index}" if node.part_id else str(index)
                ctype = _content_type(child)
                node.children.append(
                    Node(part=child, part_id=part_id, depth=node.depth + 1, content_type=ctype)
                )
            stack.extend(reversed(node.children))
            node.attachment = node.content_type == "message/rfc822"
        else:
            if node is tree.root:
                node.part_id = "1"  # RFC 3501: a single-part message's body is part 1
            node.attachment = _is_attachment(node.part, node.content_type)
    if truncated_depth:
        tree.defects.append(f"MIME nesting deeper than {max_depth}: inner parts ignored")
    if truncated_parts:
        tree.defects.append(f"more than {max_parts} MIME parts: the rest ignored")
    return tree


def _children(node: Node) -> list[Message]:
    """Sub-parts; an encapsulated message/rfc822 is numbered like IMAP does: its
    multipart body's parts directly under the rfc822 part, else its body as part 1."""
    try:
        payload = node.part.get_payload()
    except Exception:
        return []
    parts = [p for p in payload if isinstance(p, Message)] if isinstance(payload, list) else []
    if node.content_type == "message/rfc822" and parts:
        inner = parts[0]
        try:
            inner_payload = inner.get_payload() if inner.is_multipart() else None
        except Exception:
            inner_payload = None
        if isinstance(inner_payload, list):
            return [p for p in inner_payload if isinstance(p, Message)]
        return [inner]
    return parts


def _collect_defects(tree: Tree, node: Node) -> None:
    try:
        for defect in getattr(node.part, "defects", []) or []:
            where = node.part_id or "message"
            tree.defects.append(clean(f"{where}: {type(defect).__name__}", limit=200))
    except Exception:
        pass


def part_bytes(part: Message) -> bytes:
    """Decoded content (base64 / quoted-printable undone); never raises."""
    try:
        if part.get_content_type() == "message/rfc822" or part.is_multipart():
            return part.as_bytes()
        data = part.get_payload(decode=True)
        if isinstance(data, bytes):
            return data
    except Exception:
        pass
    try:
        raw = part.get_payload()
        return raw.encode("utf-8", "surrogateescape") if isinstance(raw, str) else b""
    except Exception:
        return b""


def part_text(part: Message) -> str:
    """A text part decoded with its declared charset; an unknown charset falls back."""
    try:
        content = part.get_content()  # type: ignore[attr-defined]
        if isinstance(content, str):
            return content
    except Exception:
        pass
    try:
        charset = part.get_content_charset()
    except Exception:
        charset = None
    return decode_bytes(part_bytes(part), charset)


def _leaf_text(node: Node) -> str:
    if node.content_type == "text/html":
        return html_to_text(part_text(node.part), limit=TEXT_LIMIT)
    return part_text(node.part)


def body_text(node: Node) -> str:
    """Readable body: plain preferred inside multipart/alternative (RFC 2046 5.1.4),
    HTML rendered to text when it is all there is, inline text parts of a
    multipart/mixed concatenated; attachments and encapsulated messages skipped."""
    if node.content_type == "multipart/alternative":
        by_type = {c.content_type: c for c in reversed(node.children) if not c.attachment}
        for preferred in ("text/plain", "text/html"):
            if preferred in by_type:
                return body_text(by_type[preferred])
        for child in node.children:
            if child.content_type.startswith("multipart/"):
                return body_text(child)
        return ""
    if node.content_type.startswith("multipart/"):
        texts = [body_text(c) for c in node.children if not c.attachment]
        return "\n\n".join(t for t in texts if t.strip())
    if node.attachment:
        return ""
    if node.content_type in ("text/plain", "text/html"):
        return _leaf_text(node)
    return ""


def attachments(tree: Tree) -> list[Attachment]:
    out: list[Attachment] = []
    for node in tree.nodes():
        if not node.attachment:
            continue
        name = filename(node.part)
        if not name and node.content_type == "message/rfc822":
            name = "message.eml"
        out.append(
            Attachment(
                filename=name,
                content_type=node.content_type,
                size=len(part_bytes(node.part)),
                part_id=node.part_id,
            )
        )
    return out


def text_of(msg: Message, *, max_depth: int = 20, max_parts: int = 200) -> str:
    """Body text of a (possibly encapsulated) message."""
    tree = build_tree(msg, max_depth=max_depth, max_parts=max_parts)
    return clean(body_text(tree.root), limit=TEXT_LIMIT)
