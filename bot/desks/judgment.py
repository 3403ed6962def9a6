"""The judgment desk: ordinary messages (and what the cheap filters dropped or refused).

It runs the judgment steps (bot/judgment/): context -> facts -> decide -> check (a
department's draft check, when it names a model for it) -> gate -> etiquette and pause
-> autonomy (shadow, draft, auto) -> commit.
"""

from __future__ import annotations

import logging

from bot.desks import DeskDeps
from bot.judgment.context import read_context, recount
from bot.judgment.decide import Decide
from bot.judgment.drafts import drafts, level_of
from bot.judgment.etiquette import etiquette_and_pause
from bot.judgment.gate import check
from bot.judgment.record import record
from bot.pipeline.router import Drop, Judge, Refuse, Route
from bot.rules.model import Rulebook
from bot.store import Claimed

log = logging.getLogger("deputy.handler")


class JudgmentDesk:
    def __init__(self, deps: DeskDeps) -> None:
        self.deps = deps
        self.decide = Decide(deps.agent)
        self.rules_only = self.decide.rules_only

    async def claims(self, claimed: Claimed, route: Route) -> bool:
        return isinstance(route, Drop | Refuse | Judge)

    async def handle(self, claimed: Claimed, rulebook: Rulebook, route: Route, started: float) -> None:
        commit = self.deps.commit
        match route:
            case Drop(reason):
                await commit.finish(
                    claimed, rulebook, (), outcome="ignored", reasons=(reason,), started=started
                )
            case Refuse(reason):
                log.warning("refused %s: %s", claimed.event.id, reason)
                await commit.finish(
                    claimed, rulebook, (), outcome="refused", reasons=(reason,), started=started
                )
            case Judge():
                await self.judge(claimed, rulebook, route, started)
            case _:
                raise ValueError(f"the judgment desk does not handle {type(route).__name__}")

    async def judge(self, claimed: Claimed, rulebook: Rulebook, route: Judge, started: float) -> None:
        deps = self.deps
        if not route.rules and route.no_reply:
            await deps.commit.finish(
                claimed,
                rulebook,
                (),
                outcome="kept",
                # The reason names what was found (an automatic sender, a list, a mail
                # not addressed to us): "automatic" is only one of them.
                reasons=(
                    f"no rule, and no reply is due: left for the owner ({route.no_reply})",
                    *route.notes,
                ),
                started=started,
                event=route.event,
            )
            return
        ctx = await read_context(
            deps.store,
            route=route,
            rulebook=rulebook,
            before_seq=claimed.seq,
            with_model=deps.agent is not None,
            mail=deps.executor.channels.speaks_mail(
                route.event.channel, kind=route.event.refs.get("channel_type", "")
            ),
            examples=deps.settings.autonomy.examples,
        )
        decision, asked_model = await self.decide(ctx)
        if deps.check is not None:  # after the draft is written, before the gate: only caution
            decision = await deps.check(ctx.event, decision)
        if asked_model:
            ctx = await recount(deps.store, ctx)
        checked = check(deps.gate, decision, ctx, settings=deps.settings, rulebook=rulebook)
        addresses = (*deps.settings.deputy.addresses, *rulebook.owner.emails)
        checked = etiquette_and_pause(checked, ctx, addresses=addresses)
        level = await level_of(deps.store, ctx.rule, deps.settings)
        checked = drafts(checked, rule=ctx.rule.name if ctx.rule else "", level=level)
        await record(deps.commit, claimed, rulebook, ctx, decision, checked, started=started)
