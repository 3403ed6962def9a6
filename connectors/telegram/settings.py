"""Settings for one Telegram channel. The token itself lives in the environment."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from bot.config import Strict


class TelegramSettings(Strict):
    enabled: bool = True
    token_env: str = "DEPUTY_TELEGRAM_TOKEN"
    # "polling": our own getUpdates loop (no public endpoint needed);
    # "webhook": Telegram POSTs updates to an aiohttp server we run.
    mode: Literal["polling", "webhook"] = "polling"
    # PTB appends the token to this; a local Bot API server or a test fake goes here.
    base_url: str = "https://api.telegram.org/bot"
    poll_timeout: int = Field(default=25, ge=0, le=50)
    request_timeout: float = Field(default=20.0, gt=0)
    # Backoff after failures (network, 409 Conflict, emit errors), with jitter.
    backoff_initial: float = Field(default=1.0, gt=0)
    backoff_max: float = Field(default=60.0, gt=0)
    webhook_listen: str = "127.0.0.1:8443"  # host:port our aiohttp server binds
    webhook_path: str = "/telegram"
    # Connections held at once (at the cap the idlest is closed; Telegram itself opens
    # at most setWebhook's max_connections, 40 by default), and how long one may send
    # nothing (connectors/connection_cap.py).
    webhook_max_connections: int = Field(default=100, ge=1, le=10_000)
    webhook_idle_timeout_seconds: float = Field(default=60.0, gt=0)
    # Public HTTPS URL given to setWebhook at start; empty: the webhook is managed elsewhere.
    webhook_url: str = ""
    webhook_secret_env: str = "DEPUTY_TELEGRAM_WEBHOOK_SECRET"
