# ruff: noqa: E501  (a table of byte literals reads better one case per line)
"""Regenerate the malformed-mail corpus: ``python tests/email/corpus/generate.py``.

Every message here was crafted for this project (no third-party test data); each
targets one way real or hostile mail breaks parsers. The files are committed so the
corpus is stable; this script documents how each was made.
"""

from __future__ import annotations

import base64
import hashlib
from pathlib import Path

HERE = Path(__file__).parent
H = b"From: Sender <sender@example.org>\r\nTo: deputy@deputy.test\r\nSubject: corpus\r\n"


def msg(headers: bytes, body: bytes = b"body\r\n") -> bytes:
    return headers + b"\r\n" + body


def nested(depth: int, kind: bytes = b"multipart/mixed") -> bytes:
    head = H + b"Content-Type: " + kind + b'; boundary="b0"\r\n'
    body = b""
    for i in range(1, depth):
        body += b'--b%d\r\nContent-Type: %s; boundary="b%d"\r\n\r\n' % (i - 1, kind, i)
    body += b"--b%d\r\nContent-Type: text/plain\r\n\r\ninner\r\n" % (depth - 1)
    for i in reversed(range(depth)):
        body += b"--b%d--\r\n" % i
    return msg(head, body)


def cases() -> dict[str, bytes]:
    c: dict[str, bytes] = {}
    # --- envelope-level oddities
    c["empty"] = b""
    c["only_crlf"] = b"\r\n\r\n\r\n"
    c["no_headers_body_only"] = b"\r\njust a body\r\n"
    c["no_blank_line"] = H.rstrip(b"\r\n")
    c["headers_only"] = H
    c["bare_lf"] = msg(H).replace(b"\r\n", b"\n")
    c["bare_cr"] = msg(H).replace(b"\r\n", b"\r")
    c["mixed_line_ends"] = b"From: a@x.org\nTo: b@x.org\r\nSubject: s\r\r\n\nbody\r"
    c["binary_garbage"] = bytes(range(256)) * 4
    c["nul_everywhere"] = msg(H.replace(b": ", b":\x00 "), b"a\x00b\x00c")
    c["utf16_bom"] = "From: a@x.org\r\nSubject: hi\r\n\r\nbody".encode("utf-16")
    c["mbox_from_line"] = b"From sender@example.org Mon Jan  6 10:00:00 2025\r\n" + msg(H)
    c["leading_whitespace_header"] = b" From: a@x.org\r\n\tSubject: x\r\n\r\nbody"
    c["header_without_colon"] = msg(H + b"This is not a header\r\nX-After: 1\r\n")
    c["header_empty_name"] = msg(H + b": no name\r\n")
    c["header_space_before_colon"] = msg(b"From : a@x.org\r\nSubject\t: s\r\n")
    c["continuation_first"] = msg(b"\tcontinued\r\n" + H)
    c["very_long_header_line"] = msg(H + b"X-Long: " + b"a" * 100_000 + b"\r\n")
    c["many_headers"] = msg(H + b"".join(b"X-H%d: v\r\n" % i for i in range(5000)))
    c["folded_forever"] = msg(H + b"X-Fold: a" + b"\r\n b" * 20000 + b"\r\n")
    c["long_body_line"] = msg(H, b"x" * 300_000)
    # --- address headers
    c["from_missing"] = msg(b"To: a@x.org\r\nSubject: s\r\n")
    c["from_empty"] = msg(b"From: \r\nSubject: s\r\n")
    c["from_no_at"] = msg(b"From: just a name\r\n")
    c["from_group"] = msg(b"From: Friends: a@x.org, b@x.org;\r\n")
    c["from_empty_group"] = msg(b"From: undisclosed-recipients:;\r\n")
    c["from_unbalanced_angle"] = msg(b"From: Name <a@x.org\r\n")
    c["from_unbalanced_quote"] = msg(b'From: "Name <a@x.org>\r\n')
    c["from_nested_comments"] = msg(b"From: a@x.org (c (d (e (f))))\r\n")
    c["from_unclosed_comment"] = msg(b"From: a@x.org (never closed\r\n")
    c["from_many_ats"] = msg(b"From: a@b@c@x.org\r\n")
    c["from_route_addr"] = msg(b"From: <@relay.x.org:a@x.org>\r\n")
    c["from_ip_literal"] = msg(b"From: a@[127.0.0.1]\r\n")
    c["from_quoted_local"] = msg(b'From: "a b\\"c"@x.org\r\n')
    c["from_8bit_name"] = msg(b"From: J\xf6rg \xe2\x82\xac <j@x.org>\r\n")
    c["from_idn_utf8"] = msg("From: ü@bücher.example\r\n".encode())
    c["from_encoded_addr"] = msg(b"From: =?utf-8?q?a=40x=2Eorg?=\r\n")
    c["from_ew_in_addr"] = msg(b"From: <=?utf-8?q?a?=@x.org>\r\n")
    c["from_thousand_addresses"] = msg(
        b"From: " + b", ".join(b"u%d@x.org" % i for i in range(1000)) + b"\r\n"
    )
    c["to_garbage"] = msg(H.replace(b"To: deputy@deputy.test", b"To: ,,,;;<<>>@@"))
    c["cc_huge"] = msg(H + b"Cc: " + b", ".join(b"c%d@x.org" % i for i in range(3000)) + b"\r\n")
    c["two_from_headers"] = msg(H + b"From: other@evil.net\r\n")
    c["reply_to_weird"] = msg(H + b"Reply-To: <>\r\n")
    # --- encoded words and charsets (RFC 2047 / 2231)
    c["ew_unknown_charset"] = msg(H + b"Subject: =?x-unknown?q?hi?=\r\n")
    c["ew_bad_base64"] = msg(H + b"Subject: =?utf-8?b?!!!notbase64?=\r\n")
    c["ew_truncated"] = msg(H + b"Subject: =?utf-8?q?unterminated\r\n")
    c["ew_empty"] = msg(H + b"Subject: =?utf-8?q??=\r\n")
    c["ew_adjacent_many"] = msg(H + b"Subject: " + b"=?utf-8?q?a?=" * 5000 + b"\r\n")
    c["ew_invalid_utf8"] = msg(H + b"Subject: =?utf-8?b?" + base64.b64encode(b"\xff\xfe\xc3") + b"?=\r\n")
    c["ew_crlf_inside"] = msg(H + b"Subject: =?utf-8?q?a=0D=0ABcc=3A_x=40y?=\r\n")
    c["ew_nested"] = msg(H + b"Subject: =?utf-8?q?=3D=3Futf-8=3Fq=3Fa=3F=3D?=\r\n")
    c["ew_in_message_id"] = msg(H + b"Message-ID: =?utf-8?q?<a@b>?=\r\n")
    c["rfc2231_bad"] = msg(H + b"Content-Type: text/plain; name*0*=utf-8''%ff%fe; name*1=x; name*3=gap\r\n")
    c["rfc2231_unknown_charset"] = msg(H + b"Content-Type: text/plain; charset*=x-nope''abc\r\n")
    c["charset_unknown"] = msg(H + b"Content-Type: text/plain; charset=x-klingon\r\n", b"qapla'\r\n")
    c["charset_empty"] = msg(H + b"Content-Type: text/plain; charset=\r\n")
    c["charset_utf7"] = msg(H + b"Content-Type: text/plain; charset=utf-7\r\n", b"+AGEAYgBj-\r\n")
    c["charset_lies_latin1_is_utf8"] = msg(
        H + b"Content-Type: text/plain; charset=iso-8859-1\r\n", "naïve €".encode()
    )
    c["charset_lies_utf8_is_latin1"] = msg(
        H + b"Content-Type: text/plain; charset=utf-8\r\n", "naïve".encode("latin-1")
    )
    c["charset_utf16_body"] = msg(
        H + b"Content-Type: text/plain; charset=utf-16\r\n", "hello".encode("utf-16") + b"\x00"
    )
    c["charset_huge_name"] = msg(H + b"Content-Type: text/plain; charset=" + b"a" * 5000 + b"\r\n")
    # --- transfer encodings
    c["cte_unknown"] = msg(H + b"Content-Transfer-Encoding: x-uuencode-ish\r\n", b"begin 644 f\r\n")
    c["cte_base64_garbage"] = msg(H + b"Content-Transfer-Encoding: base64\r\n", b"!!!@@@###\r\n")
    c["cte_base64_bad_padding"] = msg(H + b"Content-Transfer-Encoding: base64\r\n", b"aGVsbG8\r\n")
    c["cte_qp_bad"] = msg(H + b"Content-Transfer-Encoding: quoted-printable\r\n", b"a=ZZ=\r\n=0")
    c["cte_8bit_in_7bit"] = msg(H + b"Content-Transfer-Encoding: 7bit\r\n", b"\xff\xfe 8bit\r\n")
    c["cte_binary"] = msg(H + b"Content-Transfer-Encoding: binary\r\n", bytes(range(256)))
    c["cte_twice"] = msg(
        H + b"Content-Transfer-Encoding: base64\r\nContent-Transfer-Encoding: quoted-printable\r\n"
    )
    c["cte_on_multipart"] = msg(
        H + b'Content-Type: multipart/mixed; boundary="b"\r\nContent-Transfer-Encoding: base64\r\n',
        b"--b\r\n\r\nx\r\n--b--\r\n",
    )
    # --- content types
    c["ctype_garbage"] = msg(H + b"Content-Type: ;;;===\r\n")
    c["ctype_no_subtype"] = msg(H + b"Content-Type: text\r\n")
    c["ctype_two_headers"] = msg(H + b"Content-Type: text/html\r\nContent-Type: text/plain\r\n")
    c["ctype_params_storm"] = msg(H + b"Content-Type: text/plain" + b"; p=v" * 5000 + b"\r\n")
    c["ctype_image_top_level"] = msg(
        H + b"Content-Type: image/png\r\nContent-Transfer-Encoding: base64\r\n", b"iVBORw0KGgo=\r\n"
    )
    c["ctype_message_rfc822_top"] = msg(H + b"Content-Type: message/rfc822\r\n", msg(H))
    c["ctype_message_partial"] = msg(H + b"Content-Type: message/partial; id=x; number=1; total=2\r\n")
    c["ctype_message_external"] = msg(H + b"Content-Type: message/external-body; access-type=URL\r\n")
    c["ctype_html_only_scripts"] = msg(
        H + b"Content-Type: text/html\r\n",
        b"<script>" * 1000 + b"alert(1)" + b"</script>" * 3 + b"<style>x</style><p>visible</p>",
    )
    c["ctype_html_broken"] = msg(
        H + b"Content-Type: text/html\r\n", b"<p><b><i>unclosed <a href='x>tag <!-- comment"
    )
    c["ctype_html_entities"] = msg(
        H + b"Content-Type: text/html\r\n", b"&#0; &#xD800; &#99999999; &bogus; &amp"
    )
    c["ctype_html_deep"] = msg(H + b"Content-Type: text/html\r\n", b"<div>" * 50000 + b"deep")
    # --- multipart structure
    c["mp_no_boundary"] = msg(H + b"Content-Type: multipart/mixed\r\n", b"--x\r\n\r\nbody\r\n--x--\r\n")
    c["mp_boundary_missing_in_body"] = msg(
        H + b'Content-Type: multipart/mixed; boundary="b"\r\n', b"no parts"
    )
    c["mp_no_close"] = msg(H + b'Content-Type: multipart/mixed; boundary="b"\r\n', b"--b\r\n\r\nopen\r\n")
    c["mp_empty"] = msg(H + b'Content-Type: multipart/mixed; boundary="b"\r\n', b"--b--\r\n")
    c["mp_boundary_empty"] = msg(
        H + b'Content-Type: multipart/mixed; boundary=""\r\n', b"--\r\n\r\nx\r\n----\r\n"
    )
    c["mp_boundary_long"] = msg(
        H + b'Content-Type: multipart/mixed; boundary="' + b"b" * 500 + b'"\r\n',
        b"--" + b"b" * 500 + b"\r\n\r\nx\r\n--" + b"b" * 500 + b"--\r\n",
    )
    c["mp_boundary_in_part"] = msg(
        H + b'Content-Type: multipart/mixed; boundary="b"\r\n',
        b'--b\r\nContent-Type: multipart/mixed; boundary="b"\r\n\r\n--b\r\n\r\nx\r\n--b--\r\n--b--\r\n',
    )
    c["mp_part_no_headers"] = msg(
        H + b'Content-Type: multipart/mixed; boundary="b"\r\n', b"--b\r\nx\r\n--b--\r\n"
    )
    c["mp_alternative_html_only"] = msg(
        H + b'Content-Type: multipart/alternative; boundary="b"\r\n',
        b"--b\r\nContent-Type: text/html\r\n\r\n<p>only html</p>\r\n--b--\r\n",
    )
    c["mp_alternative_empty_plain"] = msg(
        H + b'Content-Type: multipart/alternative; boundary="b"\r\n',
        b"--b\r\nContent-Type: text/plain\r\n\r\n\r\n--b\r\nContent-Type: text/html\r\n\r\n<p>h</p>\r\n--b--\r\n",
    )
    c["mp_related_cid"] = msg(
        H + b'Content-Type: multipart/related; boundary="b"; type="text/html"\r\n',
        b"--b\r\nContent-Type: text/html\r\n\r\n<img src=cid:x>hi\r\n--b\r\nContent-ID: <x>\r\n"
        b"Content-Type: image/gif\r\nContent-Transfer-Encoding: base64\r\n\r\nR0lGODlh\r\n--b--\r\n",
    )
    c["mp_signed"] = msg(
        H + b'Content-Type: multipart/signed; protocol="application/pgp-signature"; boundary="b"\r\n',
        b"--b\r\nContent-Type: text/plain\r\n\r\nsigned\r\n--b\r\nContent-Type: application/pgp-signature\r\n\r\n"
        b"-----BEGIN PGP SIGNATURE-----\r\n--b--\r\n",
    )
    c["mp_encrypted"] = msg(
        H + b'Content-Type: multipart/encrypted; protocol="application/pgp-encrypted"; boundary="b"\r\n',
        b"--b\r\nContent-Type: application/pgp-encrypted\r\n\r\nVersion: 1\r\n--b\r\n"
        b"Content-Type: application/octet-stream\r\n\r\n-----BEGIN PGP MESSAGE-----\r\n--b--\r\n",
    )
    c["mp_report_dsn"] = msg(
        b'From: MAILER-DAEMON@x.org\r\nContent-Type: multipart/report; report-type=delivery-status; boundary="b"\r\n',
        b"--b\r\n\r\nbounce\r\n--b\r\nContent-Type: message/delivery-status\r\n\r\nStatus: 5.0.0\r\n"
        b"--b\r\nContent-Type: message/rfc822\r\n\r\n" + msg(H) + b"--b--\r\n",
    )
    c["mp_report_mdn"] = msg(
        H + b'Content-Type: multipart/report; report-type=disposition-notification; boundary="b"\r\n',
        b"--b\r\n\r\nread\r\n--b\r\nContent-Type: message/disposition-notification\r\n\r\nDisposition: x\r\n--b--\r\n",
    )
    c["mp_rfc822_empty"] = msg(
        H + b'Content-Type: multipart/mixed; boundary="b"\r\n',
        b"--b\r\nContent-Type: message/rfc822\r\n\r\n--b--\r\n",
    )
    c["mp_rfc822_base64"] = msg(
        H + b'Content-Type: multipart/mixed; boundary="b"\r\n',
        b"--b\r\nContent-Type: message/rfc822\r\nContent-Transfer-Encoding: base64\r\n\r\n"
        + base64.b64encode(msg(H))
        + b"\r\n--b--\r\n",
    )
    for depth in (5, 19, 20, 21, 50, 150):
        c[f"mp_nested_{depth}"] = nested(depth)
    c["mp_nested_rfc822_30"] = nested(30, b"message/rfc822")
    c["mp_nested_alternative_40"] = nested(40, b"multipart/alternative")
    c["mp_nested_300_quarantine"] = nested(300)
    for n in (199, 201, 1000):
        c[f"mp_flat_{n}_parts"] = msg(
            H + b'Content-Type: multipart/mixed; boundary="b"\r\n',
            b"".join(b"--b\r\nContent-Type: text/plain\r\n\r\np%d\r\n" % i for i in range(n)) + b"--b--\r\n",
        )
    c["mp_preamble_epilogue"] = msg(
        H + b'Content-Type: multipart/mixed; boundary="b"\r\n',
        b"preamble\r\n--b\r\n\r\nx\r\n--b--\r\nepilogue" * 1,
    )
    # --- attachments and filenames
    for label, name in [
        ("traversal", b"../../../etc/passwd"),
        ("absolute", b"/etc/shadow"),
        ("windows", b"C:\\\\Windows\\\\evil.exe"),
        ("nul", b"a\x00b.txt"),
        ("crlf", b"a\r\n b.txt"),
        ("empty", b""),
        ("dots", b".."),
        ("long", b"a" * 5000 + b".pdf"),
        ("rtl_override", "invoice\u202efdp.exe".encode()),
        ("device", b"CON"),
    ]:
        c[f"attach_name_{label}"] = msg(
            H + b'Content-Type: multipart/mixed; boundary="b"\r\n',
            b"--b\r\n\r\ntext\r\n--b\r\nContent-Type: application/octet-stream\r\n"
            b'Content-Disposition: attachment; filename="' + name + b'"\r\n'
            b"Content-Transfer-Encoding: base64\r\n\r\naGk=\r\n--b--\r\n",
        )
    c["attach_disposition_garbage"] = msg(
        H + b'Content-Type: multipart/mixed; boundary="b"\r\n',
        b"--b\r\nContent-Disposition: ;;; filename\r\n\r\nx\r\n--b--\r\n",
    )
    c["attach_text_inline_many"] = msg(
        H + b'Content-Type: multipart/mixed; boundary="b"\r\n',
        b"".join(b"--b\r\nContent-Disposition: inline\r\n\r\nline %d\r\n" % i for i in range(50))
        + b"--b--\r\n",
    )
    c["attach_big_base64"] = msg(
        H + b'Content-Type: multipart/mixed; boundary="b"\r\n',
        b"--b\r\nContent-Type: application/zip\r\nContent-Transfer-Encoding: base64\r\n\r\n"
        + base64.encodebytes(b"\x00" * 300_000)
        + b"--b--\r\n",
    )
    # --- ids and threading
    c["msgid_missing"] = msg(H)
    c["msgid_empty"] = msg(H + b"Message-ID: \r\n")
    c["msgid_no_brackets"] = msg(H + b"Message-ID: abc@x.org\r\n")
    c["msgid_two"] = msg(H + b"Message-ID: <a@x>\r\nMessage-ID: <b@x>\r\n")
    c["msgid_huge"] = msg(H + b"Message-ID: <" + b"a" * 10000 + b"@x>\r\n")
    c["msgid_spaces"] = msg(H + b"Message-ID: < a b @ x >\r\n")
    c["msgid_control_chars"] = msg(H + b"Message-ID: <a\x01\x02@x>\r\n")
    c["references_10000"] = msg(
        H + b"References: " + b" ".join(b"<r%d@x>" % i for i in range(10000)) + b"\r\n"
    )
    c["references_garbage"] = msg(
        H + b"References: <<<>>> <a@b <c@d>>\r\nIn-Reply-To: (comment) <p@x> junk\r\n"
    )
    # --- dates and misc structured headers
    c["date_garbage"] = msg(H + b"Date: yesterday-ish\r\n")
    c["date_out_of_range"] = msg(H + b"Date: Mon, 99 Foo 99999 99:99:99 +9999\r\n")
    c["date_empty"] = msg(H + b"Date:\r\n")
    c["mime_version_weird"] = msg(H + b"MIME-Version: 9.9 (future)\r\n")
    c["authres_garbage"] = msg(H + b'Authentication-Results: ;;;((("\r\n')
    c["authres_huge"] = msg(
        H + b"Authentication-Results: mx; " + b"dkim=pass header.d=x.org; " * 3000 + b"\r\n"
    )
    c["autosubmitted_mixed_case"] = msg(H + b"AUTO-SUBMITTED: Auto-Replied\r\nPrecedence: JUNK\r\n")
    c["list_headers_garbage"] = msg(H + b"List-Id: <<>>\r\nList-Unsubscribe: <mailto:\r\n")
    c["x_headers_8bit"] = msg(H + b"X-Weird: \xc0\xc1\xf5\xff\r\n")
    c["subject_tabs_and_controls"] = msg(H.replace(b"Subject: corpus", b"Subject: a\tb\x07c\x1bd"))
    c["subject_rtl_zero_width"] = msg(H.replace(b"Subject: corpus", "Subject: \u202e\u200bhi".encode()))
    # --- owner spoof shapes (parse must still succeed)
    c["spoof_owner_from"] = msg(b"From: owner@example.com\r\nTo: deputy@deputy.test\r\n")
    c["spoof_forward_marker_stranger"] = msg(
        H, b"---------- Forwarded message ---------\r\nFrom: x\r\n\r\nbody\r\n"
    )
    c["forward_marker_no_fields"] = msg(H, b"Begin forwarded message:\r\n\r\n\r\n")
    return c


def main() -> None:
    for old in HERE.glob("*.eml"):
        old.unlink()
    for name, data in sorted(cases().items()):
        (HERE / f"{name}.eml").write_bytes(data)
    digest = hashlib.sha256(b"".join(sorted(p.read_bytes() for p in HERE.glob("*.eml")))).hexdigest()
    print(f"{len(list(HERE.glob('*.eml')))} files, sha256 {digest[:16]}")


if __name__ == "__main__":
    main()
