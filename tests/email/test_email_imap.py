"""Intake against a real Dovecot: IDLE, baseline, restarts, drops, UIDVALIDITY."""

from __future__ import annotations

import asyncio
import os
import signal
from pathlib import Path

import aioimaplib
import pytest
from conftest import DovecotServer
from email_helpers import Inbox, append, make_connector, message, wait_until

from bot.errors import AuthFailed


async def test_idle_delivers_new_mail_in_uid_order(dovecot: DovecotServer, tmp_path: Path) -> None:
    conn, state = make_connector(dovecot, tmp_path)
    inbox = Inbox()
    await conn.start(inbox.emit)
    try:
        await wait_until(lambda: state.data.get("imap_cursor:INBOX") is not None)
        for i in range(3):
            await append(dovecot, message(i))
        await wait_until(lambda: len(inbox.events) == 3)
        assert [e.refs["uid"] for e in inbox.events] == ["1", "2", "3"]
        assert [e.id for e in inbox.events] == [f"email:<m{i}@example.org>" for i in range(3)]
        assert {e.refs["mailbox"] for e in inbox.events} == {"INBOX"}
        assert all(e.refs["uidvalidity"].isdigit() for e in inbox.events)
        assert conn.watchers[0].connects == 1
        # BODY.PEEK: Deputy never marks mail read.
        client = aioimaplib.IMAP4(port=dovecot.port)
        await client.wait_hello_from_server()
        await client.login("deputy", dovecot.password)
        await client.select("INBOX")
        flags = await client.uid("fetch", "1:*", "(FLAGS)")
        assert b"\\Seen" not in b" ".join(x for x in flags.lines if isinstance(x, bytes))
        await client.logout()
    finally:
        await conn.stop()


async def test_baseline_on_first_start_emits_nothing_old(dovecot: DovecotServer, tmp_path: Path) -> None:
    for i in range(5):
        await append(dovecot, message(i))
    conn, state = make_connector(dovecot, tmp_path)
    inbox = Inbox()
    await conn.start(inbox.emit)
    try:
        await wait_until(lambda: state.data.get("imap_cursor:INBOX") is not None)
        assert '"last_uid": 5' in state.data["imap_cursor:INBOX"]
        await append(dovecot, message(99))
        await wait_until(lambda: len(inbox.events) == 1)
        assert inbox.events[0].id == "email:<m99@example.org>"
    finally:
        await conn.stop()
    # A restart of Deputy resumes from the cursor: nothing old, nothing twice.
    conn2, _ = make_connector(dovecot, tmp_path, state=state)
    await append(dovecot, message(100))
    await conn2.start(inbox.emit)
    try:
        await wait_until(lambda: len(inbox.events) == 2)
        assert inbox.events[1].id == "email:<m100@example.org>"
        assert len(inbox.emitted) == 2
    finally:
        await conn2.stop()


async def test_dovecot_restart_loses_nothing(dovecot: DovecotServer, tmp_path: Path) -> None:
    conn, state = make_connector(dovecot, tmp_path)
    inbox = Inbox()
    await conn.start(inbox.emit)
    try:
        await wait_until(lambda: state.data.get("imap_cursor:INBOX") is not None)
        await append(dovecot, message(1))
        await wait_until(lambda: len(inbox.events) == 1)
        await asyncio.to_thread(dovecot.stop)
        await asyncio.sleep(0.2)
        await asyncio.to_thread(dovecot.start)
        await append(dovecot, message(2))  # arrives while Deputy is reconnecting
        await wait_until(lambda: conn.watchers[0].connects >= 2)
        await append(dovecot, message(3))
        await wait_until(lambda: len(inbox.events) == 3)
        assert [e.refs["uid"] for e in inbox.events] == ["1", "2", "3"]
        assert len(inbox.emitted) == 3
    finally:
        await conn.stop()


def _imap_children(dovecot: DovecotServer) -> list[int]:
    """Our dovecot's per-user 'imap' processes (we started the parent; kill by pid)."""
    assert dovecot.proc is not None
    found: list[int] = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            comm = (entry / "comm").read_text().strip()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        if ppid == dovecot.proc.pid and comm == "imap":
            found.append(int(entry.name))
    return found


async def test_dropped_connection_during_idle(dovecot: DovecotServer, tmp_path: Path) -> None:
    conn, state = make_connector(dovecot, tmp_path)
    inbox = Inbox()
    await conn.start(inbox.emit)
    try:
        await wait_until(lambda: state.data.get("imap_cursor:INBOX") is not None)
        await wait_until(lambda: bool(_imap_children(dovecot)))
        for pid in _imap_children(dovecot):
            os.kill(pid, signal.SIGKILL)
        await append(dovecot, message(7))
        await wait_until(lambda: len(inbox.events) == 1)
        assert conn.watchers[0].connects >= 2
        assert inbox.events[0].id == "email:<m7@example.org>"
    finally:
        await conn.stop()


async def test_uidvalidity_change_emits_no_second_event_id(dovecot: DovecotServer, tmp_path: Path) -> None:
    admin = aioimaplib.IMAP4(port=dovecot.port)
    await admin.wait_hello_from_server()
    await admin.login("deputy", dovecot.password)
    await admin.create("Work")
    # Dovecot sends nothing to a session IDLE in a mailbox that another session
    # deletes; the next IDLE renewal re-SELECTs and sees the new UIDVALIDITY.
    conn, state = make_connector(dovecot, tmp_path, folders=["Work"], idle_renew_seconds=1)
    inbox = Inbox()
    await conn.start(inbox.emit)
    try:
        await wait_until(lambda: state.data.get("imap_cursor:Work") is not None)
        before = state.data["imap_cursor:Work"]
        for i in range(2):
            await append(dovecot, message(i), mailbox="Work")
        await wait_until(lambda: len(inbox.events) == 2)
        # Recreating the mailbox gives it a new UIDVALIDITY (RFC 3501 2.3.1.1).
        assert (await admin.delete("Work")).result == "OK"
        assert (await admin.create("Work")).result == "OK"
        for i in range(3):  # the two old ones again (a restore), plus a new one
            await append(dovecot, message(i), mailbox="Work")
        await wait_until(lambda: '"last_uid": 3' in state.data.get("imap_cursor:Work", ""))
        await wait_until(lambda: len(inbox.events) == 3)
        assert state.data["imap_cursor:Work"].split(",")[0] != before.split(",")[0]
        assert [e.id for e in inbox.events] == [f"email:<m{i}@example.org>" for i in range(3)]
        assert len(inbox.events) == len({e.id for e in inbox.events})
    finally:
        await conn.stop()
        await admin.logout()


async def test_wrong_password_is_auth_failed(dovecot: DovecotServer, tmp_path: Path) -> None:
    told: list[str] = []

    async def on_auth_failed(reason: str) -> None:
        told.append(reason)

    conn, _ = make_connector(dovecot, tmp_path, password="wrong", on_auth_failed=on_auth_failed)
    with pytest.raises(AuthFailed):
        client = conn.new_client()
        await client.connect()
    inbox = Inbox()
    await conn.start(inbox.emit)
    await wait_until(lambda: bool(told))
    await conn.stop()
    assert "login refused" in told[0]


async def test_a_push_is_fetched_without_selecting_again(dovecot: DovecotServer, tmp_path: Path) -> None:
    # A round trip less between the push and the inbox; renewals still SELECT (above).
    conn, state = make_connector(dovecot, tmp_path, idle_renew_seconds=600)
    inbox = Inbox()
    await conn.start(inbox.emit)
    try:
        await wait_until(lambda: state.data.get("imap_cursor:INBOX") is not None)
        client = conn.watchers[0]._client
        assert client is not None
        selects = client.commands["SELECT"]
        for i in range(3):
            await append(dovecot, message(i))
            await wait_until(lambda n=i: len(inbox.events) == n + 1)
        assert [e.refs["uid"] for e in inbox.events] == ["1", "2", "3"]
        assert client.commands["SELECT"] == selects
        assert client.commands["UID SEARCH"] >= 3
    finally:
        await conn.stop()
