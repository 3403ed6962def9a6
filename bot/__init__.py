"""Deputy: an agent that handles its owner's affairs under written rules and hard limits."""

__version__ = "0.1.0"
