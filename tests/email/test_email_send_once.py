"""At most once across a crash after SMTP DATA started (issue #9), against real servers:
aiosmtpd for SMTP, Dovecot for the Sent folder.

A crash is simulated by what it leaves behind, the same state the restarted daemon sees:
an outbox row in doubt and, if the attempt got as far as DATA, the DATA marker in the
connector's state (written through DataMarkers, as the connector does before DATA).
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest
from conftest import DovecotServer, SmtpServer
from email_helpers import OWN, OWNER, MemoryState, imap_login, make_connector, raw

from bot.channels.contract import ConnectorRuntime
from bot.delivery import Delivery, OutboundMessage, message_id_for
from bot.errors import InDoubt, PermanentError, TransientError
from connectors.email.state import DataMarkers
from connectors.local import LocalConnector, LocalSettings

KEY = "evt-9:reply:0"
MID = message_id_for(KEY, domain="deputy.test")


def send_delivery(*, in_doubt: bool = False, **kw: object) -> Delivery:
    fields: dict[str, object] = {
        "to": ("Alice <alice@example.org>",),
        "text": "We will pay this week.",
        "subject": "Invoice 42",
        "message_id": MID,
        "in_reply_to": "<inv42@example.org>",
    }
    fields.update(kw)
    payload = OutboundMessage(**fields).to_payload()  # type: ignore[arg-type]
    return Delivery(key=KEY, connector="email", op="send", payload=payload, in_doubt=in_doubt)


async def sent_copies(server: DovecotServer) -> int:
    client = await imap_login(server)
    try:
        response = await client.select('"Sent"')
        if response.result != "OK":
            return 0
        response = await client.search("HEADER", "Message-ID", MID)
        return len(response.lines[0].split()) if response.lines and response.lines[0] else 0
    finally:
        await client.logout()


async def test_marker_is_committed_before_data_and_cleared_after_sent_copy(
    dovecot: DovecotServer, smtp_server: SmtpServer, tmp_path: Path
) -> None:
    conn, state = make_connector(dovecot, tmp_path, smtp=smtp_server, sent_folder="Sent")
    seen_at_data: list[bool] = []
    smtp_server.recorder.on_data = lambda: seen_at_data.append(KEY in state.data.get(DataMarkers.KEY, ""))
    receipt = await conn.deliver(send_delivery())
    await conn.stop()
    assert receipt == {"message_id": MID}
    assert seen_at_data == [True]
    assert not await DataMarkers(state).has(KEY)
    assert len(smtp_server.recorder.messages) == 1
    assert await sent_copies(dovecot) == 1


async def test_in_doubt_without_marker_is_sent_once(
    dovecot: DovecotServer, smtp_server: SmtpServer, tmp_path: Path
) -> None:
    """The earlier attempt died before DATA: nothing can have gone out, so send."""
    conn, state = make_connector(dovecot, tmp_path, smtp=smtp_server, sent_folder="Sent")
    receipt = await conn.deliver(send_delivery(in_doubt=True))
    await conn.stop()
    assert receipt == {"message_id": MID}
    assert [m["parsed"]["Message-ID"] for m in smtp_server.recorder.messages] == [MID]
    assert await sent_copies(dovecot) == 1
    assert not await DataMarkers(state).has(KEY)


async def test_in_doubt_with_marker_and_no_sent_copy_is_not_resent(
    dovecot: DovecotServer, smtp_server: SmtpServer, tmp_path: Path
) -> None:
    """DATA had started and no copy is in Sent: it may or may not have gone out."""
    conn, state = make_connector(dovecot, tmp_path, smtp=smtp_server, sent_folder="Sent")
    await DataMarkers(state).add(KEY)
    with pytest.raises(InDoubt) as caught:
        await conn.deliver(send_delivery(in_doubt=True))
    await conn.stop()
    assert smtp_server.recorder.messages == []
    text = str(caught.value)
    assert "alice@example.org" in text and "Invoice 42" in text and MID in text
    assert "may or may not" in text and "will not resend" in text
    # The marker stays until the row's failure is recorded: a crash before that must
    # not turn the next retry into a send.
    assert await DataMarkers(state).has(KEY)
    assert isinstance(caught.value, PermanentError)  # the outbox fails the row


async def test_in_doubt_with_marker_and_sent_copy_is_found(
    dovecot: DovecotServer, smtp_server: SmtpServer, tmp_path: Path
) -> None:
    conn, state = make_connector(dovecot, tmp_path, smtp=smtp_server, sent_folder="Sent")
    await DataMarkers(state).add(KEY)
    client = await imap_login(dovecot)
    await client.create("Sent")
    await client.append(
        raw(f"From: deputy@deputy.test\nTo: alice@example.org\nMessage-ID: {MID}"), mailbox="Sent"
    )
    await client.logout()
    receipt = await conn.deliver(send_delivery(in_doubt=True))
    await conn.stop()
    assert receipt == {"message_id": MID, "found_in_sent": "true"}
    assert smtp_server.recorder.messages == []
    assert not await DataMarkers(state).has(KEY)


@pytest.mark.parametrize("in_doubt", [False, True])
async def test_error_reply_to_data_then_retry_sends_once(
    dovecot: DovecotServer, smtp_server: SmtpServer, tmp_path: Path, in_doubt: bool
) -> None:
    """A 451 to DATA settles that attempt (nothing was accepted): its marker goes, so
    the retry sends, even for a row that stays in doubt from an earlier crash."""
    conn, state = make_connector(dovecot, tmp_path, smtp=smtp_server, sent_folder="Sent")
    smtp_server.recorder.reply_code = "451 4.3.0 try later"
    with pytest.raises(TransientError):
        await conn.deliver(send_delivery(in_doubt=in_doubt))
    assert not await DataMarkers(state).has(KEY)
    smtp_server.recorder.reply_code = ""
    await conn.deliver(send_delivery(in_doubt=in_doubt))
    await conn.stop()
    assert [m["parsed"]["Message-ID"] for m in smtp_server.recorder.messages] == [MID]
    assert not await DataMarkers(state).has(KEY)


async def test_recipients_partly_refused_is_permanent_and_sent_to_the_others(
    dovecot: DovecotServer, smtp_server: SmtpServer, tmp_path: Path
) -> None:
    smtp_server.recorder.refuse_rcpt = {"bob@example.org": "550 5.1.1 no such user"}
    conn, _ = make_connector(dovecot, tmp_path, smtp=smtp_server)
    with pytest.raises(PermanentError, match=r"bob@example\.org: 550"):
        await conn.deliver(send_delivery(to=("alice@example.org", "bob@example.org")))
    await conn.stop()
    [sent] = smtp_server.recorder.messages
    assert sent["rcpt_tos"] == ["alice@example.org"]


@pytest.mark.parametrize(
    ("reply", "error"), [("450 4.2.1 busy", TransientError), ("550 5.1.1 no such user", PermanentError)]
)
async def test_recipients_all_refused_sends_nothing(
    dovecot: DovecotServer,
    smtp_server: SmtpServer,
    tmp_path: Path,
    reply: str,
    error: type[Exception],
) -> None:
    smtp_server.recorder.refuse_rcpt = {"alice@example.org": reply, "bob@example.org": reply}
    conn, state = make_connector(dovecot, tmp_path, smtp=smtp_server)
    with pytest.raises(error, match="recipients refused"):
        await conn.deliver(send_delivery(to=("alice@example.org", "bob@example.org")))
    await conn.stop()
    assert smtp_server.recorder.messages == []
    assert not await DataMarkers(state).has(KEY)  # DATA never started


async def test_markers_are_one_key_and_old_ones_are_pruned() -> None:
    state = MemoryState()
    markers = DataMarkers(state, max_age=3600.0)
    await asyncio.gather(*(markers.add(f"k{i}") for i in range(20)))
    assert all([await markers.has(f"k{i}") for i in range(20)])
    await asyncio.gather(*(markers.discard(f"k{i}") for i in range(20)))
    assert list(state.data) == [DataMarkers.KEY]
    assert state.data[DataMarkers.KEY] == "{}"
    state.data[DataMarkers.KEY] = '{"stale": 1.0}'  # written long ago (unix time 1)
    await markers.add("fresh")
    assert not await markers.has("stale") and await markers.has("fresh")


# ----- the local channel's relay: the same rule without a Sent folder --------------------------


def local_relay(tmp_path: Path, smtp: SmtpServer) -> tuple[LocalConnector, MemoryState]:
    state = MemoryState()

    def spawn(coro: Any, name: str) -> asyncio.Task[Any]:
        return asyncio.get_running_loop().create_task(coro, name=name)

    runtime = ConnectorRuntime(
        name="local", data_dir=tmp_path, owner=OWNER, state=state, own_addresses=OWN, spawn=spawn
    )
    settings = LocalSettings(relay_host=smtp.host, relay_port=smtp.port, relay_security="none")
    return LocalConnector(name="local", settings=settings, runtime=runtime), state


async def test_local_relay_in_doubt_with_marker_is_not_resent(
    smtp_server: SmtpServer, tmp_path: Path
) -> None:
    conn, state = local_relay(tmp_path, smtp_server)
    await DataMarkers(state).add(KEY)
    with pytest.raises(InDoubt, match=r"alice@example\.org"):
        await conn.deliver(send_delivery(in_doubt=True))
    assert smtp_server.recorder.messages == []


async def test_local_relay_in_doubt_without_marker_is_sent_once(
    smtp_server: SmtpServer, tmp_path: Path
) -> None:
    conn, state = local_relay(tmp_path, smtp_server)
    seen_at_data: list[bool] = []
    smtp_server.recorder.on_data = lambda: seen_at_data.append(KEY in state.data.get(DataMarkers.KEY, ""))
    receipt = await conn.deliver(send_delivery(in_doubt=True))
    assert receipt == {"message_id": MID}
    assert seen_at_data == [True]
    [sent] = smtp_server.recorder.messages
    assert sent["rcpt_tos"] == ["alice@example.org"] and sent["parsed"]["Message-ID"] == MID
    assert not await DataMarkers(state).has(KEY)
