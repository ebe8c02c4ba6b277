"""Run the stand-in by hand: `python -m contribbot.fakehub --port 8765`."""

from __future__ import annotations

import argparse
import sys
import threading
from collections.abc import Sequence

from contribbot.fakehub.server import FakeHub

TOKEN = "demo-token"


def main(argv: Sequence[str] | None = None) -> int:
    """Serve until Ctrl-C, after printing the base URL and a token for alice."""
    parser = argparse.ArgumentParser(prog="python -m contribbot.fakehub", description=__doc__)
    parser.add_argument("--port", type=int, default=8765, help="port on 127.0.0.1 (0 = any)")
    parser.add_argument("--seed", type=int, default=7, help="data set seed")
    parser.add_argument("--login", default="alice", help="whom the printed token belongs to")
    args = parser.parse_args(argv)
    hub = FakeHub(seed=args.seed, tokens={TOKEN: args.login}, port=args.port).start()
    out = sys.stdout
    out.write(f"base_url: {hub.base_url}\ntoken: {TOKEN} ({args.login})\n")
    out.flush()
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        pass
    finally:
        hub.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
