"""Handing composed mail to the submission server (aiosmtplib).

TLS is either implicit (RFC 8314, port 465) or STARTTLS (RFC 3207), always with
certificate verification; plain text only when configured "none" (loopback tests).
SMTP replies are translated once: 4xx -> TransientError, 5xx -> PermanentError,
rejected credentials -> AuthFailed (RFC 5321 4.2.1, RFC 4954 6).

The mail transaction is driven step by step (MAIL, RCPT..., DATA: RFC 5321 3.3) rather
than with ``sendmail`` so that the caller can durably note "DATA is about to start"
(``before_data``): from that point the server may accept the message, and SMTP has no
idempotency, so a send interrupted there must not be repeated blindly (RFC 5321 6.1
leaves duplicates to the sender; RFC 1047 describes the window).
"""

from __future__ import annotations

import re
import ssl
from collections.abc import Awaitable, Callable, Mapping, Sequence

import aiosmtplib

from bot.delivery import OutboundMessage
from bot.errors import AuthFailed, PermanentError, TransientError
from bot.faults import fault
from connectors.email.settings import Security

BeforeData = Callable[[], Awaitable[None]]
_LINE_END = re.compile(rb"\r\n|\r|\n")


class SmtpSender:
    def __init__(
        self,
        *,
        host: str,
        port: int,
        security: Security,
        username: str = "",
        password: str = "",
        timeout: float = 60.0,
        tls_context: ssl.SSLContext | None = None,
    ) -> None:
        self._host, self._port, self._security = host, port, security
        self._username, self._password = username, password
        self._timeout = timeout
        self._tls = tls_context

    async def send(
        self,
        raw: bytes,
        *,
        sender: str,
        recipients: Sequence[str],
        before_data: BeforeData | None = None,
        data_refused: BeforeData | None = None,
    ) -> None:
        """Send ``raw`` to ``recipients``. ``before_data`` is awaited once the envelope is
        accepted (at least one recipient) and before the DATA command: it must return only
        when its record is durable, because after it the message may be delivered.
        ``data_refused`` is awaited when the server answers DATA with an error: that reply
        settles it (nothing was accepted), unlike a dropped connection or a timeout."""
        client = aiosmtplib.SMTP(
            hostname=self._host,
            port=self._port,
            timeout=self._timeout,
            use_tls=self._security == "tls",
            start_tls=True if self._security == "starttls" else False,
            validate_certs=True,
            tls_context=self._tls if self._security != "none" else None,
        )
        try:
            await client.connect()
            if self._username:
                await client.login(self._username, self._password)
            errors = await self._envelope(client, raw, sender=sender, recipients=recipients)
            if len(errors) == len(recipients):
                # Nobody accepted: no DATA, so nothing can have been delivered (this is
                # also the "no recipients" case, as with aiosmtplib's sendmail).
                _raise_for_recipients(errors, partial=False)
            if before_data is not None:
                await before_data()
            try:
                await client.data(raw)
            except aiosmtplib.SMTPResponseException:
                # An error reply to DATA or to the end of data: the server has not taken
                # responsibility for the message (RFC 5321 3.3, 4.2.5).
                if data_refused is not None:
                    await data_refused()
                raise
            fault("after_smtp_data")
            if errors:
                _raise_for_recipients(errors, partial=True)
        except aiosmtplib.SMTPAuthenticationError as exc:
            raise AuthFailed(f"SMTP login refused: {exc.code} {exc.message}") from exc
        except aiosmtplib.SMTPResponseException as exc:
            raise _by_code(exc.code, f"SMTP {exc.code} {exc.message}") from exc
        except (aiosmtplib.SMTPTimeoutError, aiosmtplib.SMTPServerDisconnected) as exc:
            raise TransientError(f"SMTP: {type(exc).__name__}: {exc}") from exc
        except aiosmtplib.SMTPConnectError as exc:
            if isinstance(exc.__cause__, ssl.SSLCertVerificationError):
                raise PermanentError(f"SMTP certificate verification failed: {exc}") from exc
            raise TransientError(f"SMTP connect: {exc}") from exc
        except aiosmtplib.SMTPException as exc:
            if self._security == "starttls" and "STARTTLS" in str(exc):
                # Not offered (or stripped on the way): never fall back to clear text.
                raise PermanentError(
                    f"SMTP server {self._host}:{self._port} does not offer STARTTLS "
                    "(smtp_security = starttls); refusing to send in clear text"
                ) from exc
            raise TransientError(f"SMTP: {type(exc).__name__}: {exc}") from exc
        except ssl.SSLCertVerificationError as exc:
            raise PermanentError(f"SMTP certificate verification failed: {exc}") from exc
        except (OSError, TimeoutError) as exc:
            raise TransientError(f"SMTP: {type(exc).__name__}: {exc}") from exc
        finally:
            try:
                if client.is_connected:
                    await client.quit()
            except Exception:
                client.close()

    @staticmethod
    async def _envelope(
        client: aiosmtplib.SMTP, raw: bytes, *, sender: str, recipients: Sequence[str]
    ) -> dict[str, tuple[int, str]]:
        """MAIL FROM and one RCPT TO per recipient (RFC 5321 3.3); returns the refused
        recipients. A refused MAIL raises (SMTPSenderRefused is a response exception)."""
        if client.is_ehlo_or_helo_needed:
            try:
                await client.ehlo()
            except aiosmtplib.SMTPHeloError:
                await client.helo()
        options: list[str] = []
        if client.supports_extension("size"):
            # RFC 1870: the size as transmitted, line endings as CRLF.
            size = len(_LINE_END.sub(b"\r\n", raw))
            options.append(f"SIZE={size}")
        await client.mail(sender, options=options)
        errors: dict[str, tuple[int, str]] = {}
        for rcpt in recipients:
            try:
                await client.rcpt(rcpt)
            except aiosmtplib.SMTPRecipientRefused as exc:
                errors[rcpt] = (exc.code, exc.message)
        return errors


def in_doubt_text(msg: OutboundMessage, recipients: list[str], *, key: str, sent_folder: str = "") -> str:
    """What the owner reads (after the sender's "may or may not have been delivered")."""
    where = f" and there is no copy in {sent_folder}" if sent_folder else ""
    subject = msg.subject or "(no subject)"
    return (
        f"The mail to {', '.join(recipients) or '(no recipients)'} with subject {subject!r} "
        f"(Message-ID {msg.message_id or '-'}) was being handed to the SMTP server (DATA had "
        f"started) when Deputy stopped{where}: it may or may not have gone out. Deputy will "
        f"not resend it; check with the recipient and send it again yourself if it is "
        f"missing (outbox key {key})."
    )


def _by_code(code: int, message: str) -> Exception:
    if 400 <= code < 500:
        return TransientError(message)
    if code in (530, 534, 535):
        return AuthFailed(message)
    if 500 <= code < 600:
        return PermanentError(message)
    return TransientError(message)


def _raise_for_recipients(errors: Mapping[str, tuple[int, str]], *, partial: bool) -> None:
    """Some recipients refused. When all were refused (nobody got it) and every refusal
    is 4xx, the send is transient: a retry resends to everyone, which is only safe when
    nobody got it. Partial refusals are permanent: the others already have the mail."""
    text = "; ".join(f"{rcpt}: {code} {msg}" for rcpt, (code, msg) in errors.items())
    codes = [code for code, _ in errors.values()]
    if not partial and codes and all(400 <= c < 500 for c in codes):
        raise TransientError(f"SMTP recipients refused: {text}")
    raise PermanentError(f"SMTP recipients refused: {text}")
