"""`python -m contribbot` runs the CLI."""

from contribbot.cli import main

main()
