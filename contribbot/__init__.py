"""contribbot: track open-source contributions, find free good-first issues, post a weekly report."""

__version__ = "0.1.0"
