"""The console's HTTP server: an aiohttp application on the daemon's own event loop.

Same lifecycle as every long-lived part: ``start`` binds (a port taken is a start-up
failure naming the port), ``stop`` is idempotent and closes the live streams before the
server, so a shutdown never waits on an open browser tab.
"""

from __future__ import annotations

import logging
import ssl

from aiohttp import web

from bot.console import auth, live, ops
from bot.console.deps import DEPS, Deps
from bot.console.html import CSS, JS
from bot.console.pages import ROUTES
from bot.errors import StartupError

log = logging.getLogger("deputy.console")


async def _css(request: web.Request) -> web.Response:
    return web.Response(text=CSS, content_type="text/css")


async def _js(request: web.Request) -> web.Response:
    return web.Response(text=JS, content_type="application/javascript")


def build_app(deps: Deps) -> web.Application:
    app = web.Application(middlewares=[auth.headers, auth.guard], client_max_size=256 * 1024)
    app[DEPS] = deps
    app[live.LIVE] = live.Live(deps.store)
    app.router.add_get("/login", auth.login)
    app.router.add_post("/logout", auth.logout)
    # A link in every page's header. A GET is safe here: the cookie is SameSite=Strict,
    # so a request another site starts carries no session to end.
    app.router.add_get("/logout", auth.logout)
    app.router.add_get("/healthz", ops.healthz)
    app.router.add_get("/healthz/live", ops.live)
    app.router.add_get("/metrics", ops.metrics)
    app.router.add_get("/static/console.css", _css)
    app.router.add_get("/static/console.js", _js)
    app.router.add_get("/live", live.stream)
    for method, path, handler in ROUTES:
        app.router.add_route(method, path, handler)
    return app


class Console:
    def __init__(self, deps: Deps) -> None:
        self.deps = deps
        self.app = build_app(deps)
        self._runner: web.AppRunner | None = None
        self.port = 0

    def _ssl(self) -> ssl.SSLContext | None:
        conf, settings = self.deps.settings.console, self.deps.settings
        if conf.tls_cert is None or conf.tls_key is None:
            return None
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        try:
            context.load_cert_chain(settings.resolve(conf.tls_cert), settings.resolve(conf.tls_key))
        except (OSError, ssl.SSLError) as exc:
            raise StartupError(f"console: cannot load tls_cert/tls_key: {exc}") from exc
        return context

    async def start(self) -> None:
        conf = self.deps.settings.console
        # access_log=None: an access line would carry the login link's query string.
        self._runner = web.AppRunner(self.app, access_log=None, shutdown_timeout=2.0)
        await self._runner.setup()
        site = web.TCPSite(self._runner, conf.host, conf.port, ssl_context=self._ssl())
        try:
            await site.start()
        except OSError as exc:
            await self._runner.cleanup()
            self._runner = None
            raise StartupError(
                f"console: cannot listen on {conf.host}:{conf.port}: {exc.strerror or exc}"
            ) from exc
        server = getattr(site, "_server", None)
        sockets = getattr(server, "sockets", None) or ()
        self.port = sockets[0].getsockname()[1] if sockets else conf.port
        log.info("console listening on %s:%d", conf.host, self.port)

    async def stop(self) -> None:
        runner, self._runner = self._runner, None
        if runner is None:
            return
        self.app[live.LIVE].close()
        await runner.cleanup()
