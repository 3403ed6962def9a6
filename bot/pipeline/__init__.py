"""The pipeline: workers claim inbox events, the router picks a route, the handler gives
the event to the desk that claims it, and one commit service finishes it. The scheduler
only emits events."""
