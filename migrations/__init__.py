"""Alembic migrations, shipped inside the package as contribbot.migrations."""
