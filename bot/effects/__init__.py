"""Side effects: the executor turns allowed actions into outbox rows, the sender delivers
them after commit; messages to the owner, escalation texts and reply building live here."""
