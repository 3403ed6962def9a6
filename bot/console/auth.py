"""Who may use the console: the one-time login link, the session cookie, and CSRF.

``deputy console`` writes a login secret's hash to the database and prints the link; the
daemon spends it once (it expires after ``console.login_minutes``) and answers with a
session cookie that is Secure, HttpOnly and SameSite=Strict. Every POST carries the
session's CSRF token in its form, checked in constant time, and a cross-origin Origin
header is refused outright. Secrets are never logged: the daemon runs aiohttp without
an access log (its lines would carry the link's query string), and the link is printed
only by the command that made it.
"""

from __future__ import annotations

import hmac
import secrets
from collections.abc import Awaitable, Callable

from aiohttp import web

from bot.config import Settings
from bot.console.deps import CSRF, SESSION, deps_of
from bot.console.html import e
from bot.store import Store

COOKIE = "deputy_console"
PUBLIC = ("/login", "/healthz", "/healthz/live", "/metrics", "/static/console.css", "/static/console.js")
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


async def issue_login(store: Store, settings: Settings) -> str:
    """A fresh one-time login link (``deputy console``)."""
    secret = secrets.token_urlsafe(32)
    await store.console_tokens.add_login(secret, ttl=settings.console.login_minutes * 60)
    return f"{settings.console.base_url}/login?token={secret}"


def see_other(location: str) -> web.Response:
    return web.Response(status=303, headers={"Location": location})


def _refusal(status: int, text: str) -> web.Response:
    body = (
        "<!doctype html><html lang=en><head><meta charset=utf-8><title>Deputy</title></head>"
        f"<body><p>{e(text)}</p></body></html>"
    )
    return web.Response(status=status, text=body, content_type="text/html")


async def login(request: web.Request) -> web.StreamResponse:
    deps = deps_of(request)
    token = request.query.get("token", "")
    if not token:
        return _refusal(401, "Run `deputy console` on the machine Deputy runs on for a one-time login link.")
    if not await deps.store.console_tokens.spend_login(token):
        return _refusal(
            403, "This login link was used already or has expired. Run `deputy console` for a new one."
        )
    session, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
    hours = deps.settings.console.session_hours
    await deps.store.console_tokens.add_session(session, csrf=csrf, ttl=hours * 3600)
    response = see_other("/")
    response.set_cookie(
        COOKIE, session, max_age=int(hours * 3600), path="/", secure=True, httponly=True, samesite="Strict"
    )
    return response


async def logout(request: web.Request) -> web.StreamResponse:
    await deps_of(request).store.console_tokens.end_session(request.cookies.get(COOKIE, ""))
    response = see_other("/login")
    response.del_cookie(COOKIE, path="/")
    return response


def _same_origin(request: web.Request) -> bool:
    origin = request.headers.get("Origin")
    return origin is None or origin == f"{request.scheme}://{request.host}"


@web.middleware
async def guard(request: web.Request, handler: Handler) -> web.StreamResponse:
    """No page or API without a session; no POST without the session's CSRF token."""
    if request.path in PUBLIC:
        return await handler(request)
    secret = request.cookies.get(COOKIE, "")
    session = await deps_of(request).store.console_tokens.session(secret) if secret else None
    if session is None:
        return _refusal(401, "Not logged in. Run `deputy console` for a one-time login link.")
    request[CSRF] = session.csrf
    request[SESSION] = secret
    if request.method not in ("GET", "HEAD"):
        if not _same_origin(request):
            return _refusal(403, "Refused: a request from another site.")
        sent = str((await request.post()).get("csrf", ""))
        if not sent or not hmac.compare_digest(sent, session.csrf):
            return _refusal(403, "Refused: the form's CSRF token is missing or wrong. Reload the page.")
    return await handler(request)


@web.middleware
async def headers(request: web.Request, handler: Handler) -> web.StreamResponse:
    response = await handler(request)
    response.headers.setdefault(
        "Content-Security-Policy", "default-src 'self'; frame-ancestors 'none'; form-action 'self'"
    )
    # same-origin: no address (a login link's token) leaves for another site, and a
    # form POST still carries its Origin (with no-referrer, Chromium sends "null").
    response.headers.setdefault("Referrer-Policy", "same-origin")
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Cache-Control", "no-store")
    return response
