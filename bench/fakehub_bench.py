"""How long the stand-in's data set takes to build (default and small), with and without
the realism switches. Prints seconds; run it on a quiet machine:

    .venv/bin/python bench/fakehub_bench.py
"""

from __future__ import annotations

import sys
import time
from datetime import UTC, datetime

from contribbot.fakehub import build_dataset
from contribbot.fakehub.realism import Realism
from contribbot.fakehub.reverts import add_reverts

NOW = datetime(2026, 11, 20, 12, tzinfo=UTC)


def main() -> None:
    """Print build times."""
    for size in ("small", "default"):
        started = time.perf_counter()
        ds = build_dataset(NOW, size=size)
        built = time.perf_counter() - started
        started = time.perf_counter()
        reverted = add_reverts(ds, Realism.all().seed)
        extra = time.perf_counter() - started
        sys.stdout.write(
            f"{size:8} build {built:.3f}s  + reverts {extra:.3f}s ({len(reverted)} PRs)\n"
        )


if __name__ == "__main__":
    main()
