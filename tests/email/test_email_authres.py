"""Owner verification: genuine mail accepted, every spoof refused (RFC 8601, RFC 7489)."""

from __future__ import annotations

import pytest
from email_helpers import AUTHSERV, event, raw

from connectors.email.authres import parse as parse_ar

SECRET = "s3cretPlusToken"
GOOD_AR = (
    f"Authentication-Results: {AUTHSERV}; dkim=pass header.d=example.com header.s=sel; "
    "spf=pass smtp.mailfrom=example.com"
)


def mail(*header_lines: str, body: str = "Please file this.\n") -> bytes:
    base = ["Message-ID: <x1@example.com>", "To: deputy@deputy.test", "Subject: cmd"]
    return raw("\n".join([*header_lines, *base]), body)


GENUINE: list[tuple[str, bytes, str]] = [
    ("dkim aligned", mail(GOOD_AR, "From: Olive <owner@example.com>"), "dkim"),
    (
        "dkim subdomain signer (relaxed)",
        mail(
            f"Authentication-Results: {AUTHSERV}; dkim=pass header.d=mail.example.com",
            "From: owner@example.com",
        ),
        "dkim",
    ),
    (
        "dmarc pass",
        mail(
            f"Authentication-Results: {AUTHSERV}; dkim=fail header.d=example.com; "
            "dmarc=pass (p=reject) header.from=example.com",
            "From: owner@example.com",
        ),
        "dmarc",
    ),
    (
        "our A-R on top of a foreign one",
        mail(GOOD_AR, "Authentication-Results: other.mx; dkim=fail", "From: OWNER@Example.com"),
        "dkim",
    ),
    (
        "comments and case",
        mail(
            f"Authentication-Results: {AUTHSERV.upper()} (our mx); DKIM=Pass (good sig) "
            "header.d=Example.COM header.b=abc",
            "From: owner@example.com",
        ),
        "dkim",
    ),
    (
        "folded header, second owner address on subdomain",
        mail(
            f"Authentication-Results: {AUTHSERV};\n\tdkim=pass\n\theader.d=example.org",
            "From: olive@mail.example.org",
        ),
        "dkim",
    ),
]


@pytest.mark.parametrize(("label", "data", "method"), GENUINE, ids=[g[0] for g in GENUINE])
def test_genuine_owner_mail_is_accepted(label: str, data: bytes, method: str) -> None:
    ev = event(data)
    assert ev.sender_verified_owner, label
    assert ev.kind == "owner_message"
    assert ev.refs["owner_auth"] == method


def test_plus_secret_without_authres() -> None:
    data = raw(f"From: owner@example.com\nTo: deputy+{SECRET}@deputy.test\nMessage-ID: <p@e>")
    ev = event(data, authserv_id=None, owner_plus_secret=SECRET)
    assert ev.sender_verified_owner and ev.refs["owner_auth"] == "plus_secret"
    assert ev.recipients == ("deputy@deputy.test",)  # the secret never reaches a reply
    assert SECRET.lower() not in ev.to_json().lower()
    via_delivered = raw(
        f"From: owner@example.com\nDelivered-To: deputy+{SECRET}@deputy.test\n"
        "To: deputy@deputy.test\nMessage-ID: <p2@e>"
    )
    assert event(via_delivered, authserv_id=None, owner_plus_secret=SECRET).sender_verified_owner


SPOOFS: list[tuple[str, bytes, dict[str, object]]] = [
    ("no A-R at all", mail("From: owner@example.com"), {}),
    (
        "forged From, A-R for attacker domain",
        mail(
            f"Authentication-Results: {AUTHSERV}; dkim=pass header.d=evil.net",
            "From: owner@example.com",
        ),
        {},
    ),
    (
        "A-R with another authserv-id",
        mail(
            "Authentication-Results: mx.evil.net; dkim=pass header.d=example.com",
            "From: owner@example.com",
        ),
        {},
    ),
    (
        "authserv-id look-alike prefix",
        mail(
            f"Authentication-Results: {AUTHSERV}.evil.net; dkim=pass header.d=example.com",
            "From: owner@example.com",
        ),
        {},
    ),
    (
        "forged passing A-R below ours",
        mail(
            f"Authentication-Results: {AUTHSERV}; dkim=fail header.d=example.com",
            GOOD_AR,
            "From: owner@example.com",
        ),
        {},
    ),
    (
        "forged passing A-R below our 'none'",
        mail(f"Authentication-Results: {AUTHSERV}; none", GOOD_AR, "From: owner@example.com"),
        {},
    ),
    (
        "dkim=fail",
        mail(
            f"Authentication-Results: {AUTHSERV}; dkim=fail header.d=example.com",
            "From: owner@example.com",
        ),
        {},
    ),
    (
        "dkim=neutral",
        mail(
            f"Authentication-Results: {AUTHSERV}; dkim=neutral header.d=example.com",
            "From: owner@example.com",
        ),
        {},
    ),
    (
        "dkim=policy",
        mail(
            f"Authentication-Results: {AUTHSERV}; dkim=policy header.d=example.com",
            "From: owner@example.com",
        ),
        {},
    ),
    (
        "look-alike signer examp1e.com",
        mail(
            f"Authentication-Results: {AUTHSERV}; dkim=pass header.d=examp1e.com",
            "From: owner@example.com",
        ),
        {},
    ),
    (
        "suffix trick example.com.evil.net",
        mail(
            f"Authentication-Results: {AUTHSERV}; dkim=pass header.d=example.com.evil.net",
            "From: owner@example.com",
        ),
        {},
    ),
    (
        "prefix trick notexample.com",
        mail(
            f"Authentication-Results: {AUTHSERV}; dkim=pass header.d=notexample.com",
            "From: owner@example.com",
        ),
        {},
    ),
    (
        "bare TLD signer",
        mail(f"Authentication-Results: {AUTHSERV}; dkim=pass header.d=com", "From: owner@example.com"),
        {},
    ),
    (
        "dkim pass without header.d",
        mail(f"Authentication-Results: {AUTHSERV}; dkim=pass", "From: owner@example.com"),
        {},
    ),
    (
        "spf pass only",
        mail(
            f"Authentication-Results: {AUTHSERV}; spf=pass smtp.mailfrom=example.com",
            "From: owner@example.com",
        ),
        {},
    ),
    (
        "dmarc pass for another domain",
        mail(
            f"Authentication-Results: {AUTHSERV}; dmarc=pass header.from=evil.net",
            "From: owner@example.com",
        ),
        {},
    ),
    (
        "dmarc fail",
        mail(
            f"Authentication-Results: {AUTHSERV}; dmarc=fail header.from=example.com",
            "From: owner@example.com",
        ),
        {},
    ),
    (
        "pass hidden in a comment",
        mail(
            f"Authentication-Results: {AUTHSERV}; dkim=fail (dkim=pass header.d=example.com) "
            "header.d=example.com",
            "From: owner@example.com",
        ),
        {},
    ),
    (
        "pass hidden in a quoted reason",
        mail(
            f'Authentication-Results: {AUTHSERV}; dkim=fail reason="; dkim=pass header.d=example.com"',
            "From: owner@example.com",
        ),
        {},
    ),
    (
        "valid A-R but From is a stranger",
        mail(
            f"Authentication-Results: {AUTHSERV}; dkim=pass header.d=example.com",
            "From: mallory@example.com",
        ),
        {},
    ),
    (
        "owner only in display name",
        mail(
            f"Authentication-Results: {AUTHSERV}; dkim=pass header.d=evil.net",
            'From: "owner@example.com" <mallory@evil.net>',
        ),
        {},
    ),
    ("two From headers", mail(GOOD_AR, "From: owner@example.com", "From: mallory@evil.net"), {}),
    ("two addresses in From", mail(GOOD_AR, "From: owner@example.com, mallory@evil.net"), {}),
    (
        "Sender/Reply-To are not From",
        mail(
            f"Authentication-Results: {AUTHSERV}; dkim=pass header.d=evil.net",
            "From: mallory@evil.net",
            "Sender: owner@example.com",
            "Reply-To: owner@example.com",
        ),
        {},
    ),
    ("no authserv-id configured", mail(GOOD_AR, "From: owner@example.com"), {"authserv_id": None}),
    (
        "wrong plus secret",
        raw("From: owner@example.com\nTo: deputy+wrongsecret1@deputy.test\nMessage-ID: <w@e>"),
        {"authserv_id": None, "owner_plus_secret": SECRET},
    ),
    (
        "plus secret on a foreign base address",
        raw(f"From: owner@example.com\nTo: someone+{SECRET}@evil.net\nMessage-ID: <w2@e>"),
        {"authserv_id": None, "owner_plus_secret": SECRET},
    ),
    (
        "plus secret but From is a stranger",
        raw(f"From: mallory@evil.net\nTo: deputy+{SECRET}@deputy.test\nMessage-ID: <w3@e>"),
        {"authserv_id": None, "owner_plus_secret": SECRET},
    ),
    (
        "plus secret configured too short to count",
        raw("From: owner@example.com\nTo: deputy+abc@deputy.test\nMessage-ID: <w4@e>"),
        {"authserv_id": None, "owner_plus_secret": "abc"},
    ),
    (
        "encoded-word From hiding the address",
        mail(GOOD_AR, "From: =?utf-8?q?owner=40example=2Ecom?= <mallory@evil.net>"),
        {},
    ),
]


@pytest.mark.parametrize(("label", "data", "kw"), SPOOFS, ids=[s[0] for s in SPOOFS])
def test_spoof_is_refused(label: str, data: bytes, kw: dict[str, object]) -> None:
    ev = event(data, **kw)
    assert not ev.sender_verified_owner, label
    assert ev.kind == "message"
    assert ev.refs["owner_auth"] == ""


def test_spoof_count() -> None:
    assert len(SPOOFS) >= 20


def test_parse_authres_structure() -> None:
    parsed = parse_ar('mx.x (c) 1; dkim=pass (ok) header.d=a.org header.s="s1"; spf=fail smtp.mailfrom=b')
    assert parsed is not None and parsed.authserv_id == "mx.x"
    assert [(r.method, r.result) for r in parsed.results] == [("dkim", "pass"), ("spf", "fail")]
    assert parsed.results[0].props["header.d"] == "a.org"
    assert parse_ar("") is None
