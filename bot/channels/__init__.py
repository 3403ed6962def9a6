"""Channels as the core sees them: the contract a connector keeps (events in, outbox rows
out, what it can do) and the registry of the configured ones. The core names no channel."""
