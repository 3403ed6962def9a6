"""The owner's playbook: rules/*.md files, each a TOML header plus plain-language text."""

from bot.rules.loader import load_rulebook
from bot.rules.model import Mandate, Rule, Rulebook

__all__ = ["Mandate", "Rule", "Rulebook", "load_rulebook"]
