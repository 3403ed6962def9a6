"""Agents turn an event plus the matching rules into a Decision. The gate checks it."""
