"""A small Telegram Bot API server on 127.0.0.1, faithful where Deputy depends on it.

python-telegram-bot runs unmodified against it (``base_url=fake.base_url``). It keeps
updates until a getUpdates call confirms them with a higher offset (as Telegram does),
long-polls with the requested timeout, renders HTML parse mode the way Telegram does
(rejecting unknown tags, so a missing escape fails loudly), and records every call.
Failures are programmable per method: 429 with retry_after, 409, 5xx, 401, 400.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import time
from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Any

from aiohttp import web

TG_TAGS = {
    "b", "strong", "i", "em", "u", "ins", "s", "strike", "del", "a", "code", "pre",
    "tg-spoiler", "span", "blockquote", "tg-emoji",
}  # fmt: skip
JSON_FIELDS = {"reply_markup", "reply_parameters", "allowed_updates", "entities"}
INT_FIELDS = {"offset", "limit", "timeout", "message_id", "message_thread_id"}


class EntityError(ValueError):
    pass


class _Renderer(HTMLParser):
    """Telegram's HTML mode: only a few tags; text content is what the user sees."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.out: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in TG_TAGS:
            raise EntityError(f'Unsupported start tag "{tag}"')

    def handle_endtag(self, tag: str) -> None:
        if tag not in TG_TAGS:
            raise EntityError(f'Unsupported end tag "{tag}"')

    def handle_data(self, data: str) -> None:
        self.out.append(data)


def render_html(text: str) -> str:
    parser = _Renderer()
    parser.feed(text)
    parser.close()
    return "".join(parser.out)


@dataclass
class Failure:
    status: int
    description: str
    retry_after: int | None = None


@dataclass
class Call:
    method: str
    params: dict[str, Any]
    status: int = 200


@dataclass
class FakeTelegram:
    token: str
    bot_id: int = 7000001
    bot_username: str = "deputy_test_bot"
    calls: list[Call] = field(default_factory=list)
    updates: list[dict[str, Any]] = field(default_factory=list)
    messages: dict[tuple[int, int], dict[str, Any]] = field(default_factory=dict)
    known_chats: set[int] = field(default_factory=set)
    webhook_url: str = ""
    # Seconds between taking a sendMessage and answering it (a slow network): widens
    # the window in which a crash leaves a delivered message unconfirmed.
    send_delay: float = 0.0

    def __post_init__(self) -> None:
        self._failures: dict[str, list[Failure | None]] = {}
        self._update_ids = itertools.count(1000)
        self._message_ids = itertools.count(1)
        self._new = asyncio.Condition()
        self._runner: web.AppRunner | None = None
        self.port = 0
        # While set, getUpdates answers with an update that lacks its message's "date"
        # (a server-side bug): python-telegram-bot raises KeyError reading it, not a
        # TelegramError, which ends the connector's polling loop.
        self.garbled = False

    # -- server ---------------------------------------------------------------------

    async def start(self) -> None:
        app = web.Application()
        app.router.add_post("/bot{token}/{method}", self._dispatch)
        app.router.add_get("/bot{token}/{method}", self._dispatch)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/bot"

    # -- programming ------------------------------------------------------------------

    def fail(
        self,
        method: str,
        *,
        status: int,
        description: str = "",
        retry_after: int | None = None,
        times: int = 1,
        after: int = 0,
    ) -> None:
        """Queue ``times`` failures for ``method``, after ``after`` calls that succeed."""
        default = {
            400: "Bad Request: chat not found",
            401: "Unauthorized",
            403: "Forbidden: bot was blocked by the user",
            409: "Conflict: terminated by other getUpdates request; make sure that only "
            "one bot instance is running",
            429: f"Too Many Requests: retry after {retry_after}",
            500: "Internal Server Error",
            502: "Bad Gateway",
        }
        failure = Failure(status, description or default.get(status, "Error"), retry_after)
        queue = self._failures.setdefault(method, [])
        queue.extend([None] * after)
        queue.extend([failure] * times)

    def calls_to(self, method: str) -> list[Call]:
        return [c for c in self.calls if c.method == method]

    async def inject(self, kind: str, body: dict[str, Any]) -> int:
        update_id = next(self._update_ids)
        self.updates.append({"update_id": update_id, kind: body})
        async with self._new:
            self._new.notify_all()
        return update_id

    def user(self, user_id: int, first_name: str = "User", **extra: Any) -> dict[str, Any]:
        return {"id": user_id, "is_bot": False, "first_name": first_name, **extra}

    async def private_message(self, user: dict[str, Any], text: str, *, reply_to: int | None = None) -> int:
        chat = {"id": user["id"], "type": "private", "first_name": user["first_name"]}
        return await self._message(user, chat, text, reply_to=reply_to)

    async def group_message(
        self, user: dict[str, Any], chat_id: int, text: str, *, reply_to: int | None = None
    ) -> int:
        chat = {"id": chat_id, "type": "supergroup", "title": "Team"}
        return await self._message(user, chat, text, reply_to=reply_to)

    async def press(self, user: dict[str, Any], chat_id: int, message_id: int, data: str) -> int:
        """A callback query on one of the bot's messages (or a forged one: any user id)."""
        message = self.messages.get((chat_id, message_id)) or self._bot_message(chat_id, message_id, "?")
        body = {
            "id": f"cb{next(self._update_ids)}",
            "from": user,
            "message": message,
            "chat_instance": f"ci{chat_id}",
            "data": data,
        }
        return await self.inject("callback_query", body)

    async def _message(
        self,
        user: dict[str, Any],
        chat: dict[str, Any],
        text: str,
        *,
        reply_to: int | None,
    ) -> int:
        self.known_chats.add(chat["id"])
        message: dict[str, Any] = {
            "message_id": next(self._message_ids),
            "from": user,
            "chat": chat,
            "date": int(time.time()),
            "text": text,
        }
        if reply_to is not None:
            message["reply_to_message"] = self.messages.get((chat["id"], reply_to)) or self._bot_message(
                chat["id"], reply_to, "?"
            )
        self.messages[(chat["id"], message["message_id"])] = message
        return await self.inject("message", message)

    def _bot_message(self, chat_id: int, message_id: int, text: str) -> dict[str, Any]:
        return {
            "message_id": message_id,
            "from": self._me(),
            "chat": {"id": chat_id, "type": "private" if chat_id > 0 else "supergroup"},
            "date": int(time.time()),
            "text": text,
        }

    # -- dispatch ----------------------------------------------------------------------

    async def _dispatch(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        params = await self._params(request)
        call = Call(method, params)
        self.calls.append(call)
        if request.match_info["token"] != self.token:
            return self._error(call, 401, "Unauthorized")
        queued = self._failures.get(method)
        failure = queued.pop(0) if queued else None
        if failure is not None:
            extra = {"retry_after": failure.retry_after} if failure.retry_after else None
            return self._error(call, failure.status, failure.description, extra)
        handler = getattr(self, f"_m_{method}", None)
        if handler is None:
            return self._error(call, 404, "Not Found")
        try:
            result = await handler(params)
        except EntityError as exc:
            return self._error(call, 400, f"Bad Request: can't parse entities: {exc}")
        except _ApiError as exc:
            return self._error(call, exc.status, exc.description)
        return web.json_response({"ok": True, "result": result})

    async def _params(self, request: web.Request) -> dict[str, Any]:
        if request.content_type == "application/json":
            return dict(await request.json())
        raw = dict(await request.post()) if request.can_read_body else {}
        raw.update(request.query)
        params: dict[str, Any] = {}
        for key, value in raw.items():
            value = str(value)
            if key in JSON_FIELDS:
                params[key] = json.loads(value)
            elif key in INT_FIELDS or key == "chat_id":
                try:
                    params[key] = int(value)
                except ValueError:
                    params[key] = value
            else:
                params[key] = value
        return params

    def _error(
        self, call: Call, status: int, description: str, parameters: dict[str, Any] | None = None
    ) -> web.Response:
        call.status = status
        body: dict[str, Any] = {"ok": False, "error_code": status, "description": description}
        if parameters:
            body["parameters"] = parameters
        return web.json_response(body, status=status)

    def _me(self) -> dict[str, Any]:
        return {
            "id": self.bot_id,
            "is_bot": True,
            "first_name": "Deputy",
            "username": self.bot_username,
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
        }

    # -- methods -------------------------------------------------------------------------

    async def _m_getMe(self, params: dict[str, Any]) -> Any:
        return self._me()

    async def _m_deleteWebhook(self, params: dict[str, Any]) -> Any:
        self.webhook_url = ""
        if str(params.get("drop_pending_updates", "")).lower() == "true":
            self.updates.clear()
        return True

    async def _m_setWebhook(self, params: dict[str, Any]) -> Any:
        self.webhook_url = str(params.get("url", ""))
        return True

    async def _m_getUpdates(self, params: dict[str, Any]) -> Any:
        if self.webhook_url:
            raise _ApiError(
                409,
                "Conflict: can't use getUpdates method while webhook is active; "
                "use deleteWebhook to delete the webhook first",
            )
        offset = params.get("offset")
        if offset is not None:
            # Telegram forgets every update below a confirmed offset.
            self.updates = [u for u in self.updates if u["update_id"] >= int(offset)]
        if self.garbled:
            return [{"update_id": 1, "message": {"message_id": 1, "chat": {"id": 1, "type": "private"}}}]
        limit = int(params.get("limit") or 100)
        timeout = float(params.get("timeout") or 0)
        deadline = asyncio.get_running_loop().time() + timeout
        async with self._new:
            while not self.updates:
                remaining = deadline - asyncio.get_running_loop().time()
                if remaining <= 0:
                    break
                try:
                    await asyncio.wait_for(self._new.wait(), timeout=remaining)
                except TimeoutError:
                    break
        return self.updates[:limit]

    async def _m_sendMessage(self, params: dict[str, Any]) -> Any:
        chat_id = params.get("chat_id")
        if not isinstance(chat_id, int) or chat_id not in self.known_chats:
            raise _ApiError(400, "Bad Request: chat not found")
        text = self._render(params)
        message = self._bot_message(chat_id, next(self._message_ids), text)
        if "reply_markup" in params:
            message["reply_markup"] = params["reply_markup"]
        message["raw_text"] = params.get("text", "")
        message["parse_mode"] = params.get("parse_mode", "")
        self.messages[(chat_id, message["message_id"])] = message
        if self.send_delay:
            await asyncio.sleep(self.send_delay)
        return {k: v for k, v in message.items() if k not in ("raw_text", "parse_mode")}

    async def _m_editMessageText(self, params: dict[str, Any]) -> Any:
        message = self._existing(params)
        text = self._render(params)
        markup = params.get("reply_markup")
        if text == message["text"] and markup == message.get("reply_markup"):
            raise _ApiError(
                400,
                "Bad Request: message is not modified: specified new message content and "
                "reply markup are exactly the same as a current content and reply markup "
                "of the message",
            )
        message["text"] = text
        message.pop("reply_markup", None)
        if markup:
            message["reply_markup"] = markup
        return {k: v for k, v in message.items() if k not in ("raw_text", "parse_mode")}

    async def _m_editMessageReplyMarkup(self, params: dict[str, Any]) -> Any:
        message = self._existing(params)
        message.pop("reply_markup", None)
        if params.get("reply_markup"):
            message["reply_markup"] = params["reply_markup"]
        return {k: v for k, v in message.items() if k not in ("raw_text", "parse_mode")}

    async def _m_answerCallbackQuery(self, params: dict[str, Any]) -> Any:
        return True

    def _existing(self, params: dict[str, Any]) -> dict[str, Any]:
        key = (params.get("chat_id"), params.get("message_id"))
        message = self.messages.get(key)  # type: ignore[arg-type]
        if message is None or message["from"]["id"] != self.bot_id:
            raise _ApiError(400, "Bad Request: message to edit not found")
        return message

    def _render(self, params: dict[str, Any]) -> str:
        raw = str(params.get("text", ""))
        mode = str(params.get("parse_mode", "")).upper()
        text = render_html(raw) if mode == "HTML" else raw
        if mode == "MARKDOWNV2":
            raise _ApiError(400, "Bad Request: this fake renders only HTML")
        if not text.strip():
            raise _ApiError(400, "Bad Request: message text is empty")
        if len(text.encode("utf-16-le")) // 2 > 4096:
            raise _ApiError(400, "Bad Request: message is too long")
        return text


class _ApiError(Exception):
    def __init__(self, status: int, description: str) -> None:
        super().__init__(description)
        self.status = status
        self.description = description


__all__ = ["Call", "FakeTelegram", "render_html"]
