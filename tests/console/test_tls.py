"""The console over HTTPS with the owner's certificate, `deputy check` refusing TLS
files that cannot be loaded (naming the file, line and key), and a taken port."""

from __future__ import annotations

import asyncio
import shutil
import ssl
import subprocess
from pathlib import Path

import aiohttp
import pytest

from bot.app import Deputy
from bot.config import load
from tests.console.conftest import free_port
from tests.console.test_readme import cli
from tests.core.conftest import RecordingChannel, make_home

needs_openssl = pytest.mark.skipif(
    shutil.which("openssl") is None, reason="needs the openssl CLI (scripts/test.sh)"
)


def self_signed(where: Path) -> tuple[Path, Path]:
    cert, key = where / "cert.pem", where / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=127.0.0.1",
         "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", str(key), "-out", str(cert)],
        check=True, capture_output=True, timeout=60,
    )  # fmt: skip
    return cert, key


@needs_openssl
async def test_the_console_serves_https_with_the_configured_certificate(tmp_path: Path) -> None:
    cert, key = self_signed(tmp_path)
    port = free_port()
    cfg = make_home(
        tmp_path,
        extra_config=f'[console]\nenabled = true\nport = {port}\ntls_cert = "{cert}"\ntls_key = "{key}"\n',
    )
    settings = load(cfg)
    assert settings.console.base_url == f"https://127.0.0.1:{port}"
    deputy = Deputy(settings, extra_connectors={"local": ("local", RecordingChannel())})
    await deputy.start()
    try:
        trust = ssl.create_default_context(cafile=str(cert))
        async with aiohttp.ClientSession() as client:
            async with client.get(f"https://127.0.0.1:{port}/healthz", ssl=trust) as r:
                assert r.status == 200
            with pytest.raises(aiohttp.ClientError):  # plain HTTP is not served beside it
                async with client.get(f"http://127.0.0.1:{port}/healthz") as r:
                    await r.read()
    finally:
        await asyncio.wait_for(deputy.stop(), 30)


def test_check_refuses_tls_files_it_cannot_load(tmp_path: Path) -> None:
    cfg = make_home(
        tmp_path,
        extra_config='[console]\nenabled = true\nhost = "192.0.2.1"\n'
        'tls_cert = "nope.pem"\ntls_key = "nope.key"\n',
    )
    done = cli(cfg, "check")
    assert done.returncode == 2
    line = cfg.read_text().splitlines().index('tls_cert = "nope.pem"') + 1
    assert f"{cfg}:{line}: console.tls_cert: cannot load the certificate and key" in done.stderr


async def test_a_taken_port_is_a_start_up_failure_naming_it(tmp_path: Path) -> None:
    import socket

    from bot.errors import StartupError

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        cfg = make_home(tmp_path, extra_config=f"[console]\nenabled = true\nport = {port}\n")
        deputy = Deputy(load(cfg), extra_connectors={"local": ("local", RecordingChannel())})
        try:
            with pytest.raises(StartupError, match=f"console: cannot listen on 127.0.0.1:{port}"):
                await deputy.start()
        finally:
            await asyncio.wait_for(deputy.stop(), 30)
