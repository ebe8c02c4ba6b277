"""Talking to GitHub: a thin client over PyGithub, and pure parsing into plain data."""
