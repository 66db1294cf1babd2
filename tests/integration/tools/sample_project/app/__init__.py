"""Notes service: a small JSON API over an in-memory store, with a static front page."""

__version__ = "0.1.0"
