"""Handing composed mail to the submission server (aiosmtplib).

TLS is either implicit (RFC 8314, port 465) or STARTTLS (RFC 3207), always with
certificate verification; plain text only when configured "none" (loopback tests).
SMTP replies are translated once: 4xx -> TransientError, 5xx -> PermanentError,
rejected credentials -> AuthFailed (RFC 5321 4.2.1, RFC 4954 6).
"""

from __future__ import annotations

import ssl
from collections.abc import Mapping, Sequence

import aiosmtplib

from bot.errors import AuthFailed, PermanentError, TransientError
from bot.faults import fault
from connectors.email.settings import Security


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

    async def send(self, raw: bytes, *, sender: str, recipients: Sequence[str]) -> None:
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
            errors, _ = await client.sendmail(sender, list(recipients), raw)
            fault("after_smtp_data")
            if errors:
                _raise_for_recipients(errors)
        except aiosmtplib.SMTPAuthenticationError as exc:
            raise AuthFailed(f"SMTP login refused: {exc.code} {exc.message}") from exc
        except aiosmtplib.SMTPRecipientsRefused as exc:
            _raise_for_recipients({r.recipient: (r.code, r.message) for r in exc.recipients})
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


def _by_code(code: int, message: str) -> Exception:
    if 400 <= code < 500:
        return TransientError(message)
    if code in (530, 534, 535):
        return AuthFailed(message)
    if 500 <= code < 600:
        return PermanentError(message)
    return TransientError(message)


def _raise_for_recipients(errors: Mapping[str, tuple[int, str]]) -> None:
    """Some recipients refused. Any 4xx makes the whole send transient (a retry would
    resend to everyone, so only do it when nobody got it: aiosmtplib raises
    RecipientsRefused only when all were refused); partial refusals are permanent."""
    text = "; ".join(f"{rcpt}: {code} {msg}" for rcpt, (code, msg) in errors.items())
    codes = [code for code, _ in errors.values()]
    if codes and all(400 <= c < 500 for c in codes):
        raise TransientError(f"SMTP recipients refused: {text}")
    raise PermanentError(f"SMTP recipients refused: {text}")
