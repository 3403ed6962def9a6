"""Fact extraction cost, beside floors measured in the same run.

Two workloads, each parsed from raw RFC 5322 bytes by the real email parser first (not
timed) and then read by ``bot.facts.extract`` (timed):

* a typical mail: a German invoice reply of ~2 KB with a quoted history, totals, VAT,
  an IBAN and a due date (goal: under 2 ms);
* a 2 MB mail: the same head followed by a long body of prose, tables and numbers
  (goal: under 50 ms; the readers cap what they scan, so this must not grow with size).

Floors: ``re.search`` of one word over the same text (the cheapest possible pass over
it) and ``email.message_from_bytes`` of the same bytes (what every mail costs anyway).
No assertions: figures only.

    .venv/bin/python bench/facts.py [--rounds 300]

Writes bench/results/facts.json.
"""

from __future__ import annotations

import argparse
import email
import json
import re
import statistics
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bot.facts import extract, find_amounts  # noqa: E402
from bot.owner import OwnerProfile  # noqa: E402
from connectors.email.parse import parse_message  # noqa: E402

BODY = """Sehr geehrte Damen und Herren,

vielen Dank für Ihren Auftrag. Anbei erhalten Sie unsere Rechnung Nr. RE-2027-0042
für die Arbeiten im Februar.

Pos. 1  Beratung 12 h            1.200,00 €
Pos. 2  Reisekosten                346,22 €
Zwischensumme:                   1.546,22 €
MwSt. 19%:                         293,78 €
Gesamtbetrag:                    1.840,00 €

Zahlbar bis 15.03.2027 ohne Abzug auf folgendes Konto:
Kontoinhaber: ACME Supplies GmbH
IBAN: DE89 3704 0044 0532 0130 00
BIC: COBADEFFXXX

Mit freundlichen Grüßen
Max Mustermann
ACME Supplies GmbH · Musterstraße 1 · 10115 Berlin · HRB 12345 · USt-IdNr. DE123456789

Am 28.02.2027 um 10:00 schrieb Olive Owner <owner@example.com>:
> Hallo Herr Mustermann,
> bitte schicken Sie uns die Rechnung für Februar. Wir hatten 1.500 Euro vereinbart.
> Viele Grüße, Olive
"""
FILLER = (
    "Lorem ipsum dolor sit amet, consectetur adipiscing elit. Artikel 4711 kostet 19,99 EUR, "
    "Lieferung am 12.03.2027, Menge 3 Stk., Rabatt 5 %. Tel. +49 30 1234567.\n"
)


def mail(body: str) -> bytes:
    head = (
        "From: ACME Billing <billing@acme.example>\r\nTo: deputy@deputy.test\r\n"
        "Subject: Rechnung RE-2027-0042\r\nMessage-ID: <bench@acme.example>\r\n"
        "Date: Mon, 01 Mar 2027 08:00:00 +0100\r\nContent-Type: text/plain; charset=utf-8\r\n"
        "Content-Transfer-Encoding: 8bit\r\nMIME-Version: 1.0\r\n\r\n"
    )
    return head.encode() + body.replace("\n", "\r\n").encode("utf-8")


def per_call_ms(fn: Callable[[], object], rounds: int) -> dict[str, float]:
    fn()  # warm up (regex compilation, imports)
    samples = []
    for _ in range(rounds):
        start = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - start) * 1000)
    samples.sort()
    return {
        "median_ms": statistics.median(samples),
        "p95_ms": samples[int(len(samples) * 0.95) - 1],
    }


def workload(name: str, raw: bytes, rounds: int) -> dict[str, object]:
    owner = OwnerProfile(name="Olive Owner", emails=("owner@example.com",))
    result = parse_message(
        raw,
        connector="email",
        own_addresses=("deputy@deputy.test",),
        owner=owner,
        received_at=datetime.now(UTC),
    )
    assert result.event is not None, result.quarantine_reason
    event = result.event
    text = event.text
    figures = {
        "bytes": len(raw),
        "extract": per_call_ms(lambda: extract(event), rounds),
        "find_amounts": per_call_ms(lambda: find_amounts(text), rounds),
        "floor_re_search": per_call_ms(lambda: re.search(r"Zahlungsziel", text), rounds),
        "floor_message_from_bytes": per_call_ms(lambda: email.message_from_bytes(raw), rounds),
    }
    facts = extract(event)
    print(f"{name} ({len(raw):,} bytes): {facts.summary()}")
    for key in ("extract", "find_amounts", "floor_re_search", "floor_message_from_bytes"):
        f = figures[key]
        assert isinstance(f, dict)
        print(f"  {key:26s} median {f['median_ms']:8.3f} ms   p95 {f['p95_ms']:8.3f} ms")
    ex, floor = figures["extract"], figures["floor_message_from_bytes"]
    assert isinstance(ex, dict) and isinstance(floor, dict)
    print(f"  extract / message_from_bytes: {ex['median_ms'] / floor['median_ms']:.2f}")
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rounds", type=int, default=300)
    args = parser.parse_args()
    typical = mail(BODY)
    big_body = BODY.split("\nAm 28.02")[0] + "\n" + FILLER * (2 * 1024 * 1024 // len(FILLER))
    big = mail(big_body)
    result = {
        "typical": workload("typical invoice mail", typical, args.rounds),
        "two_megabytes": workload("2 MB mail", big, max(10, args.rounds // 20)),
        "goals_ms": {"typical": 2, "two_megabytes": 50},
    }
    out = ROOT / "bench" / "results"
    out.mkdir(exist_ok=True)
    (out / "facts.json").write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    print(f"written {out / 'facts.json'}")


if __name__ == "__main__":
    main()
