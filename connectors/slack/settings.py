"""Settings for one Slack workspace channel. Tokens live in the environment."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from bot.config import Strict


class SlackSettings(Strict):
    enabled: bool = True
    bot_token_env: str = "DEPUTY_SLACK_BOT_TOKEN"  # xoxb-...
    # "socket": Socket Mode over a websocket (no public endpoint; needs the app token);
    # "http": the Events API POSTs to our aiohttp server (needs the signing secret).
    mode: Literal["socket", "http"] = "socket"
    app_token_env: str = "DEPUTY_SLACK_APP_TOKEN"  # xapp-..., socket mode only
    signing_secret_env: str = "DEPUTY_SLACK_SIGNING_SECRET"  # http mode only
    http_listen: str = "127.0.0.1:3000"
    http_path: str = "/slack/events"
    # HTTP mode: connections held at once (at the cap the idlest is closed), and how long
    # one may send nothing (connectors/connection_cap.py).
    http_max_connections: int = Field(default=100, ge=1, le=10_000)
    http_idle_timeout_seconds: float = Field(default=60.0, gt=0)
    # Trailing slash matters to slack-sdk.
    api_base_url: str = "https://slack.com/api/"
    # Characters per message part; a section block holds at most 3000.
    chunk_chars: int = Field(default=3000, ge=100, le=3000)
