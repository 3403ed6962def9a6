"""The deterministic policy gate: every action checked against the rule that allowed it,
after text normalisation and scans. It never imports the agent."""
