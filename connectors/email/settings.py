"""Settings of one email channel ([channels.<name>] with type = "email").

Secrets are never here: ``*_env`` keys name the environment variable that holds one.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator, model_validator

Security = Literal["none", "starttls", "tls"]


class EmailSettings(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    enabled: bool = True
    # IMAP intake
    imap_host: str
    imap_port: int = Field(default=993, ge=1, le=65535)
    imap_security: Security = "tls"
    username: str
    password_env: str = "DEPUTY_IMAP_PASSWORD"
    folders: list[str] = Field(default_factory=lambda: ["INBOX"], min_length=1)
    # RFC 2177: servers may drop an IDLE after 30 min; renew well before 29.
    idle_renew_seconds: float = Field(default=20 * 60, gt=0, le=28 * 60)
    # Used when the server has no IDLE, and as the cadence of liveness NOOPs.
    poll_seconds: float = Field(default=60.0, gt=0)
    command_timeout_seconds: float = Field(default=30.0, gt=0)
    reconnect_max_seconds: float = Field(default=300.0, gt=0)
    fetch_chunk: int = Field(default=50, ge=1, le=500)
    # First start against a mailbox that already has mail: remember the highest UID and
    # emit nothing older ("baseline"), except mail newer than backfill_days when > 0.
    backfill_days: int = Field(default=0, ge=0, le=365)
    # SMTP delivery
    smtp_host: str
    smtp_port: int = Field(default=465, ge=1, le=65535)
    smtp_security: Security = "tls"
    smtp_username: str = ""
    smtp_password_env: str = ""
    smtp_timeout_seconds: float = Field(default=60.0, gt=0)
    # A CA bundle (PEM) trusted for IMAP and SMTP in addition to the system store, for
    # a private CA. Certificates are always verified and host names always checked.
    tls_ca_file: Path | None = None
    address: str  # our From
    from_name: str = ""
    sent_folder: str = ""  # "" = do not keep a copy (and cannot check sends in doubt)
    # Draft replies of draft-level rules go here for the owner's mail client ("" = not
    # kept in the mailbox). Deputy notices them sent (in sent_folder) or deleted.
    drafts_folder: str = ""
    drafts_check_seconds: float = Field(default=30.0, gt=0)
    # Owner verification (RFC 8601): the authserv-id our receiving MTA writes.
    authserv_id: str = ""
    owner_plus_secret_env: str = ""
    # Where saved attachments go; relative paths are under the runtime data dir.
    attachments_dir: Path = Path("attachments")
    max_message_bytes: int = Field(default=25 * 1024 * 1024, gt=0)

    @model_validator(mode="after")
    def _check(self) -> EmailSettings:
        if "@" not in self.address or any(c in self.address for c in "\r\n <>"):
            raise ValueError("address must be a plain addr-spec such as deputy@example.com")
        return self

    @field_validator("drafts_folder")
    @classmethod
    def _drafts_need_sent(cls, value: str, info: ValidationInfo) -> str:
        # Without it a draft the owner sent could not be told from one they deleted.
        if value and not info.data.get("sent_folder"):
            raise ValueError("drafts_folder needs sent_folder (where your mail client keeps what you sent)")
        return value
