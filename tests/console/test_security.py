"""Who can use the console, over plain HTTP: no page without a session, no POST
without the session's CSRF token, a login link that works once, no secret in the log,
and no public address unless the config says so."""

from __future__ import annotations

import logging
import re
from pathlib import Path

import aiohttp
import pytest

from bot.config import load
from bot.console.pages import ROUTES
from bot.errors import ConfigError
from tests.console.conftest import Captured, Served, logged_in


def _concrete(path: str) -> str:
    return re.sub(r"\{(\w+)(:[^}]*)?\}", "1", path.replace("{how:confirm|rollback}", "confirm"))


PROTECTED = [(m, _concrete(p)) for m, p, _ in ROUTES] + [
    ("GET", "/live"),
    ("POST", "/logout"),
    ("GET", "/logout"),
]


async def test_no_page_or_api_without_a_session(served: Served) -> None:
    assert len(PROTECTED) >= 12
    async with aiohttp.ClientSession() as client:
        for method, path in PROTECTED:
            async with client.request(method, served.base + path, allow_redirects=False) as r:
                assert r.status == 401, (method, path, r.status)
                assert "deputy console" in await r.text()
        # A made-up cookie is no session either.
        async with client.get(served.base + "/activity", cookies={"deputy_console": "forged"}) as r:
            assert r.status == 401
        # What a prober may see: liveness, readiness and counts, no content.
        async with client.get(served.base + "/healthz") as r:
            assert r.status == 200 and (await r.json())["ready"] is True


async def test_a_session_sees_every_page(served: Served) -> None:
    client, _, _ = await logged_in(served)
    async with client:
        for method, path in PROTECTED:
            if method == "GET" and path not in ("/live", "/logout"):
                async with client.get(served.base + path) as r:
                    assert r.status == 200, (path, await r.text())
                    assert r.headers["Content-Security-Policy"].startswith("default-src 'self'")
                    # Nothing is fetched from elsewhere: every address is this server's.
                    fetched = re.findall(r'(?:src|href|action)="([^"]*)"', await r.text())
                    assert all(u.startswith(("/", "?", "#")) for u in fetched), fetched


async def test_forged_or_missing_csrf_is_refused(served: Served) -> None:
    client, _, _ = await logged_in(served)
    async with client:
        await served.deputy.store.kv.set("paused", "0")
        for data in ({"to": "pause"}, {"to": "pause", "csrf": "forged"}, {"to": "pause", "csrf": ""}):
            async with client.post(served.base + "/autonomy", data=data, allow_redirects=False) as r:
                assert r.status == 403, data
        # From another site, even with the right token (read from the page) it is refused.
        async with client.get(served.base + "/tasks") as r:
            token = re.search(r'name="csrf" value="([^"]+)"', await r.text())
        assert token is not None
        async with client.post(
            served.base + "/autonomy",
            data={"to": "pause", "csrf": token[1]},
            headers={"Origin": "http://evil.example"},
            allow_redirects=False,
        ) as r:
            assert r.status == 403
        assert await served.deputy.store.inbox.total() == 0  # nothing reached the daemon
        async with client.post(
            served.base + "/autonomy", data={"to": "pause", "csrf": token[1]}, allow_redirects=False
        ) as r:
            assert r.status == 303
        await served.deputy.drain()
        assert await served.deputy.store.kv.get("paused") == "1"  # the real token works


async def test_the_login_link_works_once(served: Served) -> None:
    client, link, _ = await logged_in(served)
    await client.close()
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as other:
        async with other.get(link, allow_redirects=False) as r:
            assert r.status == 403
            assert "set-cookie" not in {k.lower() for k in r.headers}
        async with other.get(served.base + "/", allow_redirects=False) as r:
            assert r.status == 401
        async with other.get(link.replace("token=", "token=x"), allow_redirects=False) as r:
            assert r.status == 403


async def test_session_cookie_is_secure_httponly_strict(served: Served) -> None:
    from bot.console.auth import issue_login

    link = await issue_login(served.deputy.store, served.deputy.settings)
    async with aiohttp.ClientSession() as client:
        async with client.get(link, allow_redirects=False) as r:
            cookie = r.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "Secure" in cookie and "SameSite=Strict" in cookie


async def test_tokens_never_reach_a_log(served: Served) -> None:
    captured = Captured()
    root = logging.getLogger()
    old = root.level
    root.addHandler(captured)
    root.setLevel(logging.DEBUG)
    try:
        client, link, session = await logged_in(served)
        async with client:
            for path in ("/", "/activity?q=x", "/health", "/nope"):
                async with client.get(served.base + path):
                    pass
            async with aiohttp.ClientSession() as again:
                async with again.get(link):  # a spent link, refused
                    pass
    finally:
        root.removeHandler(captured)
        root.setLevel(old)
    token = link.split("token=")[1]
    text = "\n".join(captured.lines)
    assert captured.lines  # the capture works: the daemon does log at DEBUG
    assert token not in text and session not in text
    # And the database keeps digests only.
    rows = await served.deputy.store.db.fetchall("SELECT hash, csrf FROM console_tokens")
    assert rows and all(token not in r["hash"] and session not in r["hash"] for r in rows)


def test_a_public_address_is_refused_unless_told(tmp_path: Path) -> None:
    cfg = tmp_path / "config.toml"
    cfg.write_text('[deputy]\ndata_dir = "data"\n\n[console]\nenabled = true\nhost = "0.0.0.0"\n')
    with pytest.raises(ConfigError) as refused:
        load(cfg)
    assert f"{cfg}:6: console.host" in str(refused.value) and "allow_public" in str(refused.value)
    cfg.write_text('[console]\nenabled = true\nhost = "0.0.0.0"\nallow_public = true\n')
    assert load(cfg).console.host == "0.0.0.0"
    cfg.write_text('[console]\nhost = "192.0.2.7"\ntls_cert = "cert.pem"\n')
    with pytest.raises(ConfigError, match="tls_cert and tls_key go together"):
        load(cfg)


async def test_logging_out_ends_the_session(served: Served) -> None:
    client, _, _ = await logged_in(served)
    async with client:
        async with client.get(served.base + "/logout", allow_redirects=False) as r:
            assert r.status == 303
        async with client.get(served.base + "/", allow_redirects=False) as r:
            assert r.status == 401
