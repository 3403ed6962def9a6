#!/usr/bin/env bash
# Installs what the tests need on a fresh Debian machine, then runs them.
# Dovecot (IMAP) and openssl come from Debian's packages; everything else from PyPI into .venv.
set -euo pipefail
cd "$(dirname "$0")/.."

need=""
if ! command -v dovecot >/dev/null 2>&1 && [ ! -x /usr/sbin/dovecot ]; then need="$need dovecot-imapd"; fi
# The TLS tests make a throwaway CA with the openssl CLI.
if ! command -v openssl >/dev/null 2>&1; then need="$need openssl"; fi
# The console tests drive Debian's Chromium headless through Playwright (no browser download).
if ! command -v chromium >/dev/null 2>&1; then need="$need chromium fonts-liberation"; fi
if [ -n "$need" ]; then
    SUDO=""
    [ "$(id -u)" -ne 0 ] && SUDO="sudo"
    # Keep the package from starting a system-wide daemon: tests run their own. A policy
    # the machine already has is left as it is.
    made_policy=""
    if [ ! -e /usr/sbin/policy-rc.d ]; then
        printf '#!/bin/sh\nexit 101\n' | $SUDO tee /usr/sbin/policy-rc.d >/dev/null
        $SUDO chmod +x /usr/sbin/policy-rc.d
        made_policy=1
    fi
    $SUDO apt-get update -qq
    # shellcheck disable=SC2086  # $need is a list of package names
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends $need >/dev/null
    if [ -n "$made_policy" ]; then $SUDO rm -f /usr/sbin/policy-rc.d; fi
fi

python3 -m venv .venv
# caldav 3 pulls urllib3-future, whose wheel replaces urllib3 at interpreter start; built
# from source with URLLIB3_NO_OVERRIDE=1 it installs beside the real urllib3 instead.
URLLIB3_NO_OVERRIDE=1 .venv/bin/pip install -q --disable-pip-version-check --no-binary urllib3-future 'caldav>=3.6,<4'
.venv/bin/pip install -q --disable-pip-version-check -e '.[test]'
.venv/bin/ruff check bot connectors tests bench
.venv/bin/ruff format --check bot connectors tests bench
# One worker per core; a file's tests stay on one worker, so a module's browser, Dovecot or
# daemon fixture is built once. Most tests wait on sockets and child processes, not the CPU.
.venv/bin/pytest -n auto --dist loadfile "$@"
