"""A start that cannot succeed ends the process: a missing secret or a port another
process holds gives one line that names the key or the port and a non-zero exit, and
SIGTERM during a start that hangs on a silent server stops it too. (A process that
never exits is a unit a supervisor can neither stop nor restart.)"""

from __future__ import annotations

import signal
import socket
import subprocess
import time

from tests.e2e.conftest import Home

# How long a process may take to exit before it counts as hung (a hang detector, not a
# timing assertion: the real figure is well under a second).
HUNG = 30.0


def run_to_exit(home: Home) -> tuple[int, str]:
    proc = home.spawn()
    try:
        code = proc.wait(timeout=HUNG)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
        raise AssertionError(f"deputy run did not exit after a failed start:\n{home.last_log()}") from None
    return code, home.last_log()


def test_missing_secret_exits_naming_the_key(home: Home) -> None:
    with home.config.open("a", encoding="utf-8") as f:
        f.write('[channels.telegram]\ntype = "telegram"\ntoken_env = "DEPUTY_TEST_TOKEN_NOT_SET"\n')
    code, out = run_to_exit(home)
    assert code != 0
    assert "DEPUTY_TEST_TOKEN_NOT_SET" in out and "channels.telegram" in out
    assert "Traceback" not in out


def test_port_taken_exits_naming_the_port(home: Home) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as taken:
        taken.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 0)
        taken.bind(("127.0.0.1", home.port))
        taken.listen()
        code, out = run_to_exit(home)
    assert code != 0
    assert "cannot start" in out and str(home.port) in out, out
    assert "Traceback" not in out
    # The lock was released: a second try, with the port free, starts.
    home.start()
    assert home.stop() == 0


def test_sigterm_during_a_start_that_hangs(home: Home) -> None:
    """A channel whose server accepts the connection and never answers: the start waits
    on it, and SIGTERM still ends the process."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen()
        port = silent.getsockname()[1]
        with home.config.open("a", encoding="utf-8") as f:
            f.write(f'[channels.telegram]\ntype = "telegram"\nbase_url = "http://127.0.0.1:{port}/bot"\n')
        home.env["DEPUTY_TELEGRAM_TOKEN"] = "123:silent-server-token"
        proc = home.spawn()
        # Wait until the daemon has connected to the silent server: it is mid-start.
        silent.settimeout(HUNG)
        conn, _ = silent.accept()
        with conn:
            time.sleep(0.2)
            proc.send_signal(signal.SIGTERM)
            try:
                code = proc.wait(timeout=HUNG)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
                raise AssertionError(f"SIGTERM did not end a hanging start:\n{home.last_log()}") from None
    assert code == 0, home.last_log()
