"""The application layer: units of work shared by the CLI, the daemon and workers."""
