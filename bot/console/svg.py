"""Bar charts drawn on the server as SVG: no chart library, nothing fetched."""

from __future__ import annotations

from html import escape

WIDTH, HEIGHT, PAD = 720, 180, 28


def bars(title: str, points: list[tuple[str, float]], *, unit: str = "") -> str:
    """One bar per (label, value); the tallest bar fills the height."""
    if not points:
        return f'<p class="empty">{escape(title)}: nothing recorded yet.</p>'
    top = max(v for _, v in points) or 1.0
    step = (WIDTH - 2 * PAD) / len(points)
    width = max(step * 0.7, 1.0)
    parts = [
        f'<svg role="img" aria-label="{escape(title)}" width="{WIDTH}" height="{HEIGHT + 40}"'
        f' viewBox="0 0 {WIDTH} {HEIGHT + 40}" xmlns="http://www.w3.org/2000/svg">',
        f'<text x="{PAD}" y="16" font-size="13" font-weight="600">{escape(title)}</text>',
    ]
    for i, (label, value) in enumerate(points):
        h = (HEIGHT - 30) * value / top
        x = PAD + i * step
        y = HEIGHT - h
        parts.append(
            f'<rect x="{x:.1f}" y="{y:.1f}" width="{width:.1f}" height="{h:.1f}" fill="#2f5bd3">'
            f"<title>{escape(label)}: {value:g}{escape(unit)}</title></rect>"
        )
        if len(points) <= 16 or i % max(len(points) // 8, 1) == 0:
            parts.append(
                f'<text x="{x + width / 2:.1f}" y="{HEIGHT + 14}" font-size="10" text-anchor="middle">'
                f"{escape(label[-5:] if len(label) == 10 else label[:12])}</text>"
            )
    parts.append(
        f'<text x="{WIDTH - PAD}" y="16" font-size="11" text-anchor="end">max {top:g}{escape(unit)}</text>'
    )
    parts.append("</svg>")
    return "".join(parts)
