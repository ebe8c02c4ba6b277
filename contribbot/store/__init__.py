"""The database: tables, engine, migrations, saving and queries."""
