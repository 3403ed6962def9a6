"""The owner's web console: questions, conversations, activity with reasons, rules,
tasks, health and spend, served by the daemon itself on its own event loop.

It is not a channel: it reads through the store's repositories, and what the owner does
here enters the daemon the way the command line's does (an answer is an ``owner_answer``
event in the inbox, read by the same desk as a Telegram button or an email reply), so an
answer from the console is exactly an answer from any other owner channel.
"""

from bot.console.server import Console

__all__ = ["Console"]
