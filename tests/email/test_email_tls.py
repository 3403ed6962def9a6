"""TLS to real servers: Dovecot with ``ssl = required`` (IMAPS and STARTTLS) and aiosmtpd
with STARTTLS and with implicit TLS, all using a throwaway CA made with the openssl CLI.

With ``tls_ca_file`` pointing at that CA the connector works; without it (or with a
different CA) it fails with a clear PermanentError, and never falls back to plaintext.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import ssl
import subprocess
import tempfile
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aioimaplib
import pytest
from aiosmtpd.controller import Controller
from conftest import DOVECOT, DovecotServer, SmtpRecorder, SmtpServer, _write_config, free_port
from email_helpers import Inbox, make_connector, message, wait_until
from test_email_delivery import MID, send_delivery

from bot.errors import ConfigError, PermanentError
from connectors.email.tls import client_context

OPENSSL = shutil.which("openssl") or ""


@dataclass(frozen=True)
class ScratchCA:
    ca: Path  # the CA certificate (PEM): what tls_ca_file points at
    cert: Path  # server certificate for localhost / 127.0.0.1, signed by the CA
    key: Path

    def server_context(self) -> ssl.SSLContext:
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(self.cert, self.key)
        return context


def _openssl(*args: str | Path) -> None:
    subprocess.run([OPENSSL, *map(str, args)], check=True, capture_output=True)


def make_ca(directory: Path, name: str) -> ScratchCA:
    """A CA and a server certificate (EC P-256, valid for two days) via the openssl CLI."""
    directory.mkdir(parents=True)
    ca_key, ca_pem = directory / "ca.key", directory / "ca.pem"
    key, csr, cert = directory / "server.key", directory / "server.csr", directory / "server.pem"
    ec = ("-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes")
    _openssl(
        "req", "-x509", *ec, "-keyout", ca_key, "-out", ca_pem, "-days", "2",
        "-subj", f"/CN=Deputy test CA {name}",
        "-addext", "basicConstraints=critical,CA:TRUE",
        "-addext", "keyUsage=critical,keyCertSign,cRLSign",
        "-addext", "subjectKeyIdentifier=hash",
    )  # fmt: skip
    _openssl("req", "-new", *ec, "-keyout", key, "-out", csr, "-subj", "/CN=localhost")
    ext = directory / "server.ext"
    ext.write_text(
        "basicConstraints=critical,CA:FALSE\n"
        "keyUsage=critical,digitalSignature,keyEncipherment\n"
        "extendedKeyUsage=serverAuth\n"
        "subjectAltName=DNS:localhost,IP:127.0.0.1\n"
        "subjectKeyIdentifier=hash\n"
        "authorityKeyIdentifier=keyid,issuer\n"
    )
    _openssl(
        "x509", "-req", "-in", csr, "-CA", ca_pem, "-CAkey", ca_key, "-CAcreateserial",
        "-out", cert, "-days", "2", "-sha256", "-extfile", ext,
    )  # fmt: skip
    for path in (ca_pem, cert, key):
        os.chmod(path, 0o644)  # Dovecot's config reader must read them
    return ScratchCA(ca=ca_pem, cert=cert, key=key)


@pytest.fixture(scope="session")
def certs() -> Iterator[tuple[ScratchCA, ScratchCA]]:
    """(the CA the servers use, an unrelated CA)."""
    if not OPENSSL:
        pytest.fail("the TLS tests need the openssl CLI (apt-get install -y openssl)")
    root = Path(tempfile.mkdtemp(prefix="deputy-tls-"))
    os.chmod(root, 0o755)
    try:
        yield make_ca(root / "good", "good"), make_ca(root / "other", "other")
    finally:
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture
def ca(certs: tuple[ScratchCA, ScratchCA]) -> ScratchCA:
    return certs[0]


@pytest.fixture
def other_ca(certs: tuple[ScratchCA, ScratchCA]) -> ScratchCA:
    return certs[1]


@dataclass
class TlsDovecot(DovecotServer):
    imaps_port: int = 0
    ca: ScratchCA | None = None


@pytest.fixture
def tls_dovecot(ca: ScratchCA) -> Iterator[TlsDovecot]:
    """Dovecot with ``ssl = required``: STARTTLS on ``port``, implicit TLS on ``imaps_port``;
    no login at all without TLS."""
    if not DOVECOT:
        pytest.fail("dovecot is not installed (apt-get install -y dovecot-imapd)")
    root = Path(tempfile.mkdtemp(prefix="deputy-dovecot-tls-"))
    os.chmod(root, 0o755)
    port, imaps_port = free_port(), free_port()
    config = _write_config(
        root,
        port,
        ssl_settings=(
            f"ssl = required\nssl_cert = <{ca.cert}\nssl_key = <{ca.key}\ndisable_plaintext_auth = yes"
        ),
        imaps_port=imaps_port,
    )
    server = TlsDovecot(root=root, port=port, config=config, imaps_port=imaps_port, ca=ca)
    try:
        server.start()
        yield server
    finally:
        server.stop()
        shutil.rmtree(root, ignore_errors=True)


async def append_tls(server: TlsDovecot, data: bytes) -> None:
    """APPEND from an independent client over IMAPS (plaintext login is disabled)."""
    assert server.ca is not None
    context = ssl.create_default_context(cafile=str(server.ca.ca))
    client = aioimaplib.IMAP4_SSL(host="127.0.0.1", port=server.imaps_port, ssl_context=context, timeout=30)
    await client.wait_hello_from_server()
    assert (await client.login("deputy", server.password)).result == "OK"
    try:
        response = await client.append(data, mailbox="INBOX")
        assert response.result == "OK", response
    finally:
        await client.logout()


async def _smtp(ca: ScratchCA, **params: Any) -> AsyncIterator[SmtpServer]:
    recorder = SmtpRecorder()
    port = free_port()
    controller = Controller(recorder, hostname="127.0.0.1", port=port, **params)
    await asyncio.to_thread(controller.start)
    try:
        yield SmtpServer(host="127.0.0.1", port=port, recorder=recorder)
    finally:
        await asyncio.to_thread(controller.stop)


def imap_settings(server: TlsDovecot, security: str) -> dict[str, Any]:
    port = server.imaps_port if security == "tls" else server.port
    return {"imap_security": security, "imap_port": port}


# --- settings / context ---------------------------------------------------------------


def test_client_context_verifies_and_keeps_the_system_store(ca: ScratchCA) -> None:
    plain = client_context()
    extra = client_context(ca.ca)
    for context in (plain, extra):
        assert context.verify_mode == ssl.CERT_REQUIRED
        assert context.check_hostname
    # The extra CA is added to the system store, not instead of it.
    assert len(extra.get_ca_certs()) == len(plain.get_ca_certs()) + 1


def test_unreadable_ca_file_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"tls_ca_file"):
        client_context(tmp_path / "missing.pem")
    bogus = tmp_path / "bogus.pem"
    bogus.write_text("not a certificate\n")
    with pytest.raises(ConfigError, match=r"tls_ca_file"):
        client_context(bogus)


# --- IMAP -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("security", "host"), [("tls", "localhost"), ("tls", "127.0.0.1"), ("starttls", "127.0.0.1")]
)
async def test_imap_intake_over_tls_with_the_ca_file(
    tls_dovecot: TlsDovecot, ca: ScratchCA, tmp_path: Path, security: str, host: str
) -> None:
    conn, state = make_connector(
        tls_dovecot, tmp_path, tls_ca_file=str(ca.ca), imap_host=host,
        **imap_settings(tls_dovecot, security),
    )  # fmt: skip
    inbox = Inbox()
    await conn.start(inbox.emit)
    try:
        await wait_until(lambda: state.data.get("imap_cursor:INBOX") is not None)
        await append_tls(tls_dovecot, message(1))
        await wait_until(lambda: len(inbox.events) == 1)
        assert inbox.events[0].id == "email:<m1@example.org>"
        assert conn.watchers[0].connects == 1
        # The connection is really encrypted, and the server saw a TLS login.
        client = conn.watchers[0]._client
        assert client is not None
        assert client.imap.protocol.transport.get_extra_info("ssl_object") is not None
    finally:
        await conn.stop()
    assert "TLS" in tls_dovecot.log()


@pytest.mark.parametrize("security", ["tls", "starttls"])
@pytest.mark.parametrize("trust", ["system store only", "another CA"])
async def test_imap_untrusted_certificate_fails_clearly(
    tls_dovecot: TlsDovecot, other_ca: ScratchCA, tmp_path: Path, security: str, trust: str
) -> None:
    extra = {"tls_ca_file": str(other_ca.ca)} if trust == "another CA" else {}
    conn, _ = make_connector(tls_dovecot, tmp_path, **imap_settings(tls_dovecot, security), **extra)
    client = conn.new_client()
    try:
        with pytest.raises(PermanentError, match=r"IMAP connect: certificate verification failed"):
            await client.connect()
    finally:
        await client.close()
        await conn.stop()
    assert "Login:" not in tls_dovecot.log()


async def test_imap_intake_does_not_emit_or_spin_on_a_bad_certificate(
    tls_dovecot: TlsDovecot, tmp_path: Path
) -> None:
    """The watcher keeps backing off (reconnect_max_seconds) and never logs in."""
    conn, state = make_connector(tls_dovecot, tmp_path, **imap_settings(tls_dovecot, "tls"))
    inbox = Inbox()
    await conn.start(inbox.emit)
    try:
        await append_tls(tls_dovecot, message(1))
        await asyncio.sleep(1.5)
        assert conn.watchers[0].connects == 0
        assert inbox.events == [] and "imap_cursor:INBOX" not in state.data
    finally:
        await conn.stop()


async def test_imap_hostname_must_match_the_certificate(
    tls_dovecot: TlsDovecot, ca: ScratchCA, tmp_path: Path
) -> None:
    """A trusted CA is not enough: the name we dialled must be in the certificate."""
    # 127.0.0.1 is in the SAN, but ::ffff:127.0.0.1 (same socket, different name) is not.
    conn, _ = make_connector(
        tls_dovecot, tmp_path, tls_ca_file=str(ca.ca), imap_host="::ffff:127.0.0.1",
        **imap_settings(tls_dovecot, "tls"),
    )  # fmt: skip
    client = conn.new_client()
    try:
        with pytest.raises(PermanentError, match=r"certificate verification failed"):
            await client.connect()
    finally:
        await client.close()
        await conn.stop()


async def test_imap_starttls_never_downgrades_to_plaintext(
    dovecot: DovecotServer, ca: ScratchCA, tmp_path: Path
) -> None:
    """Against a server without TLS, "starttls" fails instead of logging in in clear."""
    conn, _ = make_connector(dovecot, tmp_path, tls_ca_file=str(ca.ca), imap_security="starttls")
    client = conn.new_client()
    try:
        with pytest.raises(PermanentError, match=r"STARTTLS"):
            await client.connect()
    finally:
        await client.close()
        await conn.stop()
    assert "Login:" not in dovecot.log()


# --- SMTP -----------------------------------------------------------------------------


@pytest.fixture(params=["starttls", "tls"])
async def smtp_tls(request: pytest.FixtureRequest, ca: ScratchCA) -> AsyncIterator[tuple[str, SmtpServer]]:
    params: dict[str, Any] = (
        {"tls_context": ca.server_context(), "require_starttls": True}
        if request.param == "starttls"
        else {"ssl_context": ca.server_context()}
    )
    async for server in _smtp(ca, **params):
        yield request.param, server


async def test_smtp_send_over_tls_with_the_ca_file(
    dovecot: DovecotServer, smtp_tls: tuple[str, SmtpServer], ca: ScratchCA, tmp_path: Path
) -> None:
    security, server = smtp_tls
    conn, _ = make_connector(dovecot, tmp_path, smtp=server, smtp_security=security, tls_ca_file=str(ca.ca))
    try:
        receipt = await conn.deliver(send_delivery())
    finally:
        await conn.stop()
    assert receipt["message_id"] == MID
    [sent] = server.recorder.messages
    assert sent["rcpt_tos"] == ["alice@example.org"]
    assert sent["parsed"]["Message-ID"] == MID


@pytest.mark.parametrize("trust", ["system store only", "another CA"])
async def test_smtp_untrusted_certificate_fails_clearly(
    dovecot: DovecotServer,
    smtp_tls: tuple[str, SmtpServer],
    other_ca: ScratchCA,
    tmp_path: Path,
    trust: str,
) -> None:
    security, server = smtp_tls
    extra = {"tls_ca_file": str(other_ca.ca)} if trust == "another CA" else {}
    conn, _ = make_connector(dovecot, tmp_path, smtp=server, smtp_security=security, **extra)
    try:
        with pytest.raises(PermanentError, match=r"SMTP certificate verification failed"):
            await conn.deliver(send_delivery())
    finally:
        await conn.stop()
    assert server.recorder.messages == []


async def test_smtp_starttls_never_downgrades_to_plaintext(
    dovecot: DovecotServer, smtp_server: SmtpServer, ca: ScratchCA, tmp_path: Path
) -> None:
    """A server that does not offer STARTTLS (or a stripping middlebox) gets nothing."""
    conn, _ = make_connector(
        dovecot, tmp_path, smtp=smtp_server, smtp_security="starttls", tls_ca_file=str(ca.ca)
    )
    try:
        with pytest.raises(PermanentError, match=r"STARTTLS"):
            await conn.deliver(send_delivery())
    finally:
        await conn.stop()
    assert smtp_server.recorder.messages == []
