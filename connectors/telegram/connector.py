"""The Telegram connector: intake (long polling or webhook) and deliveries.

Intake runs our own getUpdates loop instead of PTB's Updater because the Updater
advances the offset as soon as updates are fetched; Deputy must only acknowledge an
update (advance the offset) after ``emit`` has committed it to the inbox.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Mapping

from telegram import Bot, Update
from telegram.error import Conflict, InvalidToken, RetryAfter, TelegramError
from telegram.request import HTTPXRequest

from bot import backoff
from bot.channels.contract import ConnectorRuntime, Emit, emit_page
from bot.clock import wait_until_set
from bot.delivery import Delivery
from bot.events import Event
from bot.owner import OwnerProfile
from connectors.chat_logging import protect_secrets, redactor
from connectors.telegram.errors import retry_seconds
from connectors.telegram.outbound import TelegramOutbound
from connectors.telegram.parse import Identity, callback_event, forged_callback, message_event
from connectors.telegram.settings import TelegramSettings
from connectors.telegram.webhook import WebhookServer

log = logging.getLogger(__name__)

ALLOWED_UPDATES = ("message", "callback_query")
OFFSET_KEY = "offset"


def owner_telegram_id(owner: OwnerProfile) -> int | None:
    """The owner's numeric Telegram id from identities.telegram in rules/owner.md."""
    value = owner.identity("telegram").strip()
    try:
        return int(value) if value else None
    except ValueError:
        return None


class TelegramConnector:
    def __init__(self, *, name: str, settings: TelegramSettings, runtime: ConnectorRuntime) -> None:
        self.name = name
        self._settings = settings
        self._runtime = runtime
        token = runtime.secret(settings.token_env, key="token_env")
        self._webhook_secret = ""
        if settings.mode == "webhook":
            self._webhook_secret = runtime.secret(settings.webhook_secret_env, key="webhook_secret_env")
        protect_secrets(token, self._webhook_secret)
        timeout = settings.request_timeout
        self._bot = Bot(
            token,
            base_url=settings.base_url,
            request=HTTPXRequest(read_timeout=timeout, connect_timeout=timeout),
            # getUpdates adds poll_timeout to this read timeout itself.
            get_updates_request=HTTPXRequest(read_timeout=timeout, connect_timeout=timeout),
        )
        self._outbound = TelegramOutbound(
            bot=self._bot, state=runtime.state, owner_chat_id=owner_telegram_id(runtime.owner)
        )
        self._emit: Emit | None = None
        self._task: asyncio.Task[None] | None = None
        self._stopping = asyncio.Event()
        self._fetch: asyncio.Task[tuple[Update, ...]] | None = None
        self._initializing = False
        self._webhook: WebhookServer | None = None
        self._bot_id: int | None = None
        self._stopped = False

    # -- lifecycle ----------------------------------------------------------------

    async def start(self, emit: Emit) -> None:
        self._emit = emit
        self._stopping.clear()
        self._stopped = False
        self._task = self._runtime.supervise(f"{self.name}.intake", self._run, stopping=self._stopping)

    async def stop(self) -> None:
        """Idempotent. Lets an update being emitted finish (and its offset be stored),
        abandons a pending long poll (nothing was acknowledged by it), closes HTTP."""
        if self._stopped:
            return
        self._stopped = True
        self._stopping.set()
        if self._fetch is not None:
            self._fetch.cancel()
        if self._task is not None and self._initializing:
            # Nothing is acknowledged before intake begins: a server that does not answer
            # getMe must not hold up the stop.
            self._task.cancel()
        if self._task is not None:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await asyncio.wait_for(asyncio.shield(self._task), timeout=30)
            if not self._task.done():
                self._task.cancel()
        if self._webhook is not None:
            await self._webhook.stop()
            self._webhook = None
        with contextlib.suppress(Exception):
            await self._bot.shutdown()

    async def deliver(self, delivery: Delivery) -> Mapping[str, str]:
        return await self._outbound.deliver(delivery)

    # -- intake -------------------------------------------------------------------

    async def _run(self) -> None:
        try:
            if not await self._initialize():
                return
            if self._settings.mode == "webhook":
                await self._serve_webhook()
            else:
                await self._poll()
        except InvalidToken as exc:
            await self._auth_failed(exc)

    async def _initialize(self) -> bool:
        """getMe (learns our own id) and, for polling, deleteWebhook; retried until
        it works or we are stopped."""
        delay = self._settings.backoff_initial
        self._initializing = True
        try:
            return await self._initialize_with(delay)
        finally:
            self._initializing = False

    async def _initialize_with(self, delay: float) -> bool:
        while not self._stopping.is_set():
            try:
                await self._bot.initialize()
                self._bot_id = self._bot.id
                if self._settings.mode == "polling":
                    await self._bot.delete_webhook(drop_pending_updates=False)
                elif self._settings.webhook_url:
                    await self._bot.set_webhook(
                        url=self._settings.webhook_url,
                        secret_token=self._webhook_secret,
                        allowed_updates=list(ALLOWED_UPDATES),
                    )
                return True
            except InvalidToken:
                raise
            except TelegramError as exc:
                log.warning("%s: cannot reach Telegram (%s); retrying", self.name, _clean(exc))
                delay = await self._backoff(delay, exc)
        return False

    async def _poll(self) -> None:
        raw = await self._runtime.state.get(OFFSET_KEY)
        offset = int(raw) if raw else None
        delay = self._settings.backoff_initial
        while not self._stopping.is_set():
            self._fetch = asyncio.ensure_future(
                self._bot.get_updates(
                    offset=offset,
                    timeout=self._settings.poll_timeout,
                    allowed_updates=list(ALLOWED_UPDATES),
                )
            )
            try:
                updates = await self._fetch
            except asyncio.CancelledError:
                if self._stopping.is_set():
                    return
                raise
            except InvalidToken:
                raise
            except Conflict as exc:
                log.error(
                    "%s: Telegram answered 409 Conflict to getUpdates: another process is "
                    "polling this bot token, or a webhook is set (%s). Backing off.",
                    self.name,
                    _clean(exc),
                )
                delay = await self._backoff(delay, exc)
                continue
            except TelegramError as exc:
                log.warning("%s: getUpdates failed (%s); retrying", self.name, _clean(exc))
                delay = await self._backoff(delay, exc)
                continue
            finally:
                self._fetch = None
            delay = self._settings.backoff_initial
            fresh = [
                u
                for u in sorted(updates, key=lambda u: u.update_id)
                if offset is None or u.update_id >= offset
            ]
            if not fresh:
                continue  # a server that ignores offset: never reprocess
            done, error = await self._handle_page(fresh)
            if done:
                offset = fresh[done - 1].update_id + 1
                await self._runtime.state.set(OFFSET_KEY, str(offset))
            if error is not None:
                log.error(
                    "%s: update %s could not be committed; it will be fetched again: %s",
                    self.name,
                    fresh[done].update_id,
                    error,
                )
                delay = await self._backoff(delay, None)

    async def _handle_page(self, updates: list[Update]) -> tuple[int, Exception | None]:
        """A getUpdates page: its events go to the inbox in one commit (``emit_page``),
        then the acknowledgements Telegram expects (answering button presses) are done.
        Returns how many updates, from the first, are handled, and the first failure."""
        assert self._emit is not None
        prepared = [(update, await self._event_of(update)) for update in updates]
        committed, error = await emit_page(self._emit, [e for _, e in prepared if e is not None])
        done = 0
        for _, event in prepared:
            if event is not None:
                if committed == 0:
                    break
                committed -= 1
            done += 1
        for update, event in prepared[:done]:
            if update.callback_query is not None:
                await self._answer_callback(update.callback_query.id, ok=event is not None)
        return done, error

    async def _handle(self, update: Update) -> None:
        """Emit one update (raises if the inbox did not take it), then do the
        acknowledgements Telegram expects (answering a button press)."""
        assert self._emit is not None
        event = await self._event_of(update)
        if event is not None:
            await self._emit(event)
        if update.callback_query is not None:
            await self._answer_callback(update.callback_query.id, ok=event is not None)

    async def _event_of(self, update: Update) -> Event | None:
        """The Event an update stands for, or None (a forged button, an unhandled type)."""
        ident = Identity(
            connector=self.name,
            owner_id=owner_telegram_id(self._runtime.owner),
            bot_id=self._bot_id,
        )
        if update.callback_query is not None:
            event = callback_event(update, ident=ident)
            if event is None:
                log.warning("%s: %s", self.name, forged_callback(update.callback_query))
            return event
        if update.message is not None:
            return message_event(update, ident=ident, prompt_reply=await self._is_prompt(update))
        log.debug("%s: update %s of an unhandled type skipped", self.name, update.update_id)
        return None

    async def _is_prompt(self, update: Update) -> bool:
        message = update.message
        if message is None or message.reply_to_message is None:
            return False
        key = f"prompt:{message.chat_id}:{message.reply_to_message.message_id}"
        return await self._runtime.state.get(key) is not None

    async def _answer_callback(self, query_id: str, *, ok: bool) -> None:
        """Stops the button's spinner. Best effort: an old query cannot be answered,
        and the event is already committed."""
        try:
            await self._bot.answer_callback_query(
                query_id, text=None if ok else "This button is not for you."
            )
        except TelegramError as exc:
            log.info("%s: answerCallbackQuery failed: %s", self.name, _clean(exc))

    async def _serve_webhook(self) -> None:
        self._webhook = WebhookServer(
            listen=self._settings.webhook_listen,
            path=self._settings.webhook_path,
            secret=self._webhook_secret,
            bot=self._bot,
            handle=self._handle,
            name=self.name,
            max_connections=self._settings.webhook_max_connections,
            idle_timeout=self._settings.webhook_idle_timeout_seconds,
        )
        await self._webhook.start()
        await self._stopping.wait()

    # -- helpers ------------------------------------------------------------------

    async def _backoff(self, delay: float, exc: TelegramError | None) -> float:
        """Sleep (interruptible by stop) and return the next delay. A 429 says exactly
        how long to wait."""
        retry_after = retry_seconds(exc) if isinstance(exc, RetryAfter) else None
        wait = backoff.delay(0, base=delay, cap=self._settings.backoff_max, retry_after=retry_after)
        await wait_until_set(self._stopping, wait)
        return min(delay * 2, self._settings.backoff_max)

    async def _auth_failed(self, exc: TelegramError) -> None:
        message = f"{self.name}: Telegram rejected the bot token ({_clean(exc)})"
        log.error("%s", message)
        if self._runtime.on_auth_failed is not None:
            await self._runtime.on_auth_failed(message)


def _clean(exc: TelegramError) -> str:
    return redactor().redact(exc.message)
