"""contribbot: track open-source contributions, find free good-first issues, report weekly."""

__version__ = "0.1.0"
