"""The daemon: wires store, connectors, workers, sender and scheduler, and owns their
lifecycle. Every long-lived part has start/stop; stop is idempotent and drains.

Shutdown order follows the data: stop intake first, let workers finish what they
claimed, then let the sender finish in-flight deliveries, then close the store.

Every loop runs under a ``Supervisor``: a loop that fails (a locked or full database) is
retried with backoff, the health registry says which part is degraded (``deputy
status``), and the alarm tells the owner once per outage. A connector's intake loops
(IMAP IDLE, getUpdates, a Slack socket) run under a ``Supervisor`` too, through
``ConnectorRuntime.supervise``: one that dies of an exception it did not expect is started
again with backoff (connectors reconnect inside their loops on the errors they expect).
"""

from __future__ import annotations

import asyncio
import importlib
import logging
import time
from collections.abc import Awaitable, Callable, Coroutine, Mapping
from datetime import UTC, datetime
from typing import Any

from bot.agent.base import Agent
from bot.channels.contract import Connector, ConnectorRuntime, Run
from bot.channels.registry import ChannelRegistry
from bot.clock import SYSTEM, Clock
from bot.config import Settings
from bot.effects.alarm import Alarm
from bot.effects.delivery_policy import DeliveryPolicy
from bot.effects.executor import Executor
from bot.effects.sender import Sender
from bot.errors import AlreadyRunning, ConfigError, StartupError, StorageLost
from bot.events import Event
from bot.faults import fault
from bot.health import Health
from bot.logs import Redactor, secrets_from_env
from bot.loop_lag import LoopLag
from bot.peers import MailFields, Peers
from bot.pipeline.commit import Commit
from bot.pipeline.handler import EventHandler
from bot.pipeline.scheduler import Scheduler
from bot.pipeline.worker import WorkerPool
from bot.rules.source import RulebookSource
from bot.store import Claimed, InstanceLock, NamespacedState, Store
from bot.supervisor import Restartable, Supervisor, describe

log = logging.getLogger("deputy")


class Deputy:
    def __init__(
        self,
        settings: Settings,
        *,
        extra_connectors: dict[str, tuple[str, Connector]] | None = None,
        clock: Clock = SYSTEM,
    ) -> None:
        """``extra_connectors``: name -> (type, connector) added beside the configured ones
        (embedding, and core tests that need a channel without a network). ``clock``: the
        one wall clock the scheduler, the sender and the executor read (due times, the age
        of a delivery, when a timer is due), so a soak can step it for all of them at once."""
        self.settings = settings
        self.clock = clock
        self.extra_connectors = dict(extra_connectors or {})
        self.store = Store(settings.db_path)
        self.lock = InstanceLock(settings.db_path)
        self.storage_lost = ""  # why intake stopped: the database file is gone (sticky)
        self.connectors: dict[str, Connector] = {}
        self._tasks: set[asyncio.Task[Any]] = set()
        self._started = False
        self._stopped = False
        self.redactor: Redactor | None = None
        self.peers = Peers()  # [peers.*] with their secrets, read at start (bot/peers)
        self.health = Health(path=settings.data_dir / "health.json")
        self.console: Any = None  # bot.console.Console when [console] enabled
        self.organisation: Any = None  # bot.departments.handler.DepartmentsHandler, when declared
        self.lag = LoopLag()  # the longest event-loop stall (soaks, benchmarks, the log)

    # ----- task supervision: no unowned tasks ----------------------------------------
    def spawn(self, coro: Coroutine[Any, Any, Any], name: str) -> asyncio.Task[Any]:
        task = asyncio.create_task(coro, name=name)
        self._tasks.add(task)
        task.add_done_callback(self._task_done)
        return task

    def _task_done(self, task: asyncio.Task[Any]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            exc = task.exception()
            log.error("task %s died", task.get_name(), exc_info=exc)
            if not self._stopped and exc is not None:
                self.health.degraded(task.get_name(), describe(exc))

    def _supervise(
        self, part: str, loop: Any, *, settle: float | None = None, stopping: asyncio.Event | None = None
    ) -> asyncio.Task[Any]:
        supervisor = Supervisor(part=part, loop=loop, health=self.health, settle=settle, stopping=stopping)
        return self.spawn(supervisor.run(), part)

    def _sign_mail(self, fields: MailFields) -> str | None:
        """The Deputy-Peer header for mail to a trusted peer, signed now."""
        return self.peers.sign(fields, t=int(time.time()))

    CONNECTOR_SETTLE = 3.0  # seconds a restarted intake loop runs before it counts as working

    def _supervise_connector(self, part: str, run: Run, stopping: asyncio.Event) -> asyncio.Task[Any]:
        return self._supervise(part, Restartable(run), settle=self.CONNECTOR_SETTLE, stopping=stopping)

    # ----- lifecycle --------------------------------------------------------------------
    async def start(self) -> None:
        s = self.settings
        s.data_dir.mkdir(parents=True, exist_ok=True)
        self.lock.acquire()
        self.alarm = Alarm(notice=self._notice, console=s.data_dir / "owner.log")
        self.health.subscribe(self.alarm.changed)
        await self.store.open()
        recovered = await self.store.inbox.recover()
        in_doubt = await self.store.outbox.recover()
        if recovered or in_doubt:
            log.info("recovered after a stop: %d events to redo, %d deliveries in doubt", recovered, in_doubt)
        if s.departments:  # the internal channel hand-offs travel on
            from bot.departments.connector import DepartmentsConnector

            self.extra_connectors.setdefault("departments", ("departments", DepartmentsConnector()))
        self.rules = RulebookSource(s.rules_dir, learned=self.store.learned_rules)
        await self.rules.refresh()  # the active learned rules, before any event is handled
        owner = self.rules().owner
        try:  # the peers' secrets: a missing one stops the start, naming the key
            self.peers = Peers.from_settings(s.peers)
        except ConfigError as exc:
            raise ConfigError(f"{s.source}: {exc}") from None
        self.channels = ChannelRegistry.from_settings(s, extra=self.extra_connectors)
        self.executor = Executor(settings=s, channels=self.channels, clock=self.clock.wall)
        self.commit = Commit(store=self.store, executor=self.executor)
        self.handler = EventHandler(
            store=self.store,
            settings=s,
            rulebook=self.rules,
            executor=self.executor,
            agent=self._build_agent(),
            commit=self.commit,
            peers=self.peers,
        )
        await self.handler.tasks.sync_standing(s.rules_dir, self.rules())  # standing tasks (issue 7)
        self.pool = WorkerPool(
            store=self.store,
            handle=self._departments() if s.departments else self.handler.handle,
            quarantine=self._quarantine,
            concurrency=s.deputy.workers,
            max_attempts=s.limits.max_attempts,
        )
        self.sender = Sender(
            store=self.store,
            connectors=self.connectors,
            notice_in=self._notice_in,
            policy=DeliveryPolicy.from_settings(s.delivery, max_attempts=s.limits.max_delivery_attempts),
            clock=self.clock.wall,
        )
        self.scheduler = Scheduler(
            store=self.store,
            rulebook=self.rules,
            wake_workers=self.pool.wake,
            digest_enabled=s.digest.enabled,
            clock=self.clock,
        )
        for name in self.channels:
            if name in self.extra_connectors:
                self.connectors[name] = self.extra_connectors[name][1]
            else:
                self.connectors[name] = self._build_connector(name, owner)
        self._supervise("alarm", self.alarm, settle=1.0)
        self._supervise("workers", self.pool)
        self._supervise("sender", self.sender)
        self._supervise("scheduler", self.scheduler)
        self._supervise("rules", self.rules, settle=5.0)
        self._start_mcp()
        self._supervise("lag", self.lag, settle=1.0)
        self.spawn(self._watch_storage(), "storage-watch")
        self._started = True
        for name, connector in self.connectors.items():
            try:
                await connector.start(self.emit)
            except (ConfigError, StartupError, AlreadyRunning):
                raise
            except OSError as exc:  # a port taken, an address that does not resolve
                raise StartupError(f"channel {name} could not start: {exc}") from exc
            log.info("channel %s started", name)
        if s.console.enabled:
            await self._start_console()

    async def _start_console(self) -> None:
        from bot.console import Console  # aiohttp.web and the pages load only when it is on
        from bot.console.deps import Deps

        deps = Deps(
            store=self.store,
            settings=self.settings,
            health=self.health,
            rulebook=self.rules,
            emit=self.emit,
            refresh_rules=self.rules.refresh,
        )
        self.console = Console(deps)
        await self.console.start()

    def _start_mcp(self) -> None:
        """``[mcp.<name>]`` tool servers: a connector ``mcp:<name>`` for the outbox and a
        supervised session loop each; ``[mcp_server]``: Deputy's own MCP server. The
        package is imported only when configured (bot never imports it by name)."""
        servers = {n: c for n, c in self.settings.mcp.items() if c.enabled}
        if not servers and not self.settings.mcp_server.enabled:
            return
        mcp = importlib.import_module("connectors.mcp")
        from bot.tool_catalog import CATALOG

        for name, conf in servers.items():
            connector = mcp.create_tool_connector(name=name, settings=conf, catalog=CATALOG)
            self.connectors[connector.name] = connector
            self._supervise(connector.name, connector.server)  # beats on each tools/list
        if self.settings.mcp_server.enabled:
            served = mcp.create_deputy_server(settings=self.settings.mcp_server, store=self.store)
            self.connectors[served.name] = served
            self._supervise(served.name, served, settle=1.0)

    def _departments(self) -> Callable[[Claimed], Awaitable[None]]:
        """With departments declared, each event goes to its department's handler."""
        from bot.departments.build import build
        from bot.departments.models import Models

        self.organisation = build(
            settings=self.settings,
            store=self.store,
            channels=self.channels,
            main_rules=self.rules,
            models=Models(self.settings, store=self.store, notice=self._notice),
            clock=self.clock.wall,
        )
        return self.organisation.handle

    def _build_connector(self, name: str, owner: Any) -> Connector:
        s = self.settings
        module = self.channels.module(name)
        conf = self.channels.settings_for(s, name)
        runtime = ConnectorRuntime(
            name=name,
            data_dir=s.data_dir,
            owner=owner,
            state=NamespacedState(self.store.kv, name),
            own_addresses=tuple(a.lower() for a in s.deputy.addresses),
            spawn=self.spawn,
            on_auth_failed=self._channel_failed(name),
            restart=self._supervise_connector,
            sign_mail=self._sign_mail if self.peers else None,
        )
        if self.redactor is not None:
            for secret in secrets_from_env(_env_names(conf.model_dump())):
                self.redactor.add(secret)
        connector: Connector = module.create(name=name, settings=conf, runtime=runtime)
        return connector

    def _build_agent(self) -> Agent | None:
        if not self.settings.llm.enabled:
            log.info("no model configured: rules-only mode")
            return None
        from bot.agent.factory import build_agent  # imported only when a model is configured

        return build_agent(self.settings, notice=self._notice)

    async def emit(self, event: Event) -> bool:
        """Commit an event to the inbox; connectors acknowledge their source after this.

        Refused (``StorageLost``) once the database file is deleted or replaced: the
        commit would land in a file nobody reads. Checked before and after the commit,
        since the file may go while the commit runs."""
        self._check_storage()
        new = await self.store.inbox.add(event)
        self._check_storage()
        fault("after_inbox_commit")
        if new:
            self.pool.wake()
        return new

    STORAGE_CHECK_SECONDS = 2.0

    def _check_storage(self) -> None:
        if not self.storage_lost:
            problem = self.store.db.file_problem()
            if problem:
                self._lose_storage(problem)
        if self.storage_lost:
            raise StorageLost(self.storage_lost)

    def _lose_storage(self, problem: str) -> None:
        """Once: stop intake, say so in the log and in the console log (the outbox, the
        usual way to the owner, is in the database that is gone)."""
        self.storage_lost = f"{problem}; not accepting mail until Deputy is restarted"
        log.error("%s", self.storage_lost)
        path = self.settings.data_dir / "owner.log"
        stamp = datetime.now(UTC).isoformat(timespec="seconds")
        try:
            with path.open("a", encoding="utf-8") as handle:
                handle.write(
                    f"--- {stamp} [notice] storage-lost\nDeputy stopped taking mail: {self.storage_lost}.\n"
                )
        except OSError:
            log.exception("could not tell the owner in %s", path)

    async def _watch_storage(self) -> None:
        """Notice a deleted or replaced database between intakes too."""
        while not self.storage_lost:
            await asyncio.sleep(self.STORAGE_CHECK_SECONDS)
            problem = self.store.db.file_problem()
            if problem:
                self._lose_storage(problem)

    async def _quarantine(self, item: Claimed, reason: str) -> None:
        await self.commit.quarantine(item, self.rules(), reason)
        self.sender.wake()

    def _channel_failed(self, name: str) -> Callable[[str], Awaitable[None]]:
        async def tell(reason: str) -> None:
            day = time.strftime("%Y-%m-%d")
            await self._notice(
                f"channel-failed:{name}:{day}",  # at most once a day per channel
                f"Channel {name} cannot work: {reason}. Check its settings and credentials.",
            )

        return tell

    async def _notice(self, key: str, text: str) -> None:
        async with self.store.db.transaction() as tx:
            await self._notice_in(tx, key=key, text=text)
        self.sender.wake()

    async def _notice_in(
        self,
        tx: Any,
        *,
        key: str,
        text: str,
        skip: tuple[str, ...] = (),
        escalation_id: int | None = None,
    ) -> None:
        await self.executor.owner_notice_in(
            tx,
            owner=self.rules().owner,
            key=key,
            event_id="system",
            text=text,
            skip=skip,
            escalation_id=escalation_id,
        )

    async def drain(self, *, timeout: float = 30.0) -> None:  # noqa: ASYNC109
        """Wait until the inbox and outbox are empty (tests and `deputy run --once`)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while loop.time() < deadline:
            if not await self.store.inbox.has_pending() and not await self.store.outbox.has_pending():
                return
            self.pool.wake()
            self.sender.wake()
            await asyncio.sleep(0.02)
        raise TimeoutError("work still pending after drain timeout")

    async def stop(self) -> None:
        """Idempotent, and safe after a start that failed half-way: whatever was built is
        stopped, the store's threads are closed (an open aiosqlite thread keeps the
        process alive after the loop ends) and the lock is released."""
        if self._stopped:
            return
        self._stopped = True
        try:
            if self.console is not None:
                try:
                    await self.console.stop()
                except Exception:
                    log.exception("stopping the console failed")
            for connector in list(self.connectors.values()):
                try:
                    await connector.stop()
                except Exception:
                    log.exception("stopping a channel failed")
            if self._started:
                await self.pool.stop()
                await self.scheduler.stop()
                await self.rules.stop()
                await self.sender.stop()
                await self.alarm.stop()
                await self.lag.stop()
                if self.handler.agent is not None:
                    await self.handler.agent.close()
                if self.organisation is not None:
                    await self.organisation.close()
            for task in list(self._tasks):
                task.cancel()
            if self._tasks:
                await asyncio.gather(*self._tasks, return_exceptions=True)
        finally:
            try:
                await self.store.close()
            finally:
                if self._started:
                    self.health.stopped()
                self.lock.release()


def _env_names(section: Mapping[str, Any]) -> list[str]:
    """Every ``*_env`` value in a channel's settings, nested tables included (the
    webhook channel's inbound sources each name their own secret)."""
    names: list[str] = []
    for key, value in section.items():
        if key.endswith("_env") and isinstance(value, str) and value:
            names.append(value)
        elif isinstance(value, Mapping):
            names += _env_names(value)
    return names
