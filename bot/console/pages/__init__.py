"""One module a page; each lists its routes, and the server adds them all."""

from bot.console.pages import activity, conversations, drafts, health, questions, rules, spend, tasks

ROUTES = [
    *questions.ROUTES,
    *drafts.ROUTES,
    *conversations.ROUTES,
    *activity.ROUTES,
    *rules.ROUTES,
    *tasks.ROUTES,
    *health.ROUTES,
    *spend.ROUTES,
]
