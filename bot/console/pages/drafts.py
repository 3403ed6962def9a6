"""Drafts: the place for the drafts Deputy writes for the owner to edit and send, or
discard. The drafts themselves (their table and how they are made) belong to the
autonomy work; this page is where they will be listed, and says so until then."""

from __future__ import annotations

from aiohttp import web

from bot.console.html import layout


async def index(request: web.Request) -> web.StreamResponse:
    body = (
        '<p class="empty">No drafts here yet. Drafts that wait for your edit arrive with the '
        "autonomy settings; until then, a draft Deputy wants to send reaches you as a question.</p>"
    )
    return web.Response(text=layout("Drafts", body, here="/drafts"), content_type="text/html")


ROUTES = [("GET", "/drafts", index)]
