"""Tasks the owner assigns: the model and its parsing, and the parts the tasks desk is
composed of (tools, intake, quotes, recurring, runner)."""
