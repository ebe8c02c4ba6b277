"""Run the stand-in by hand: `python -m contribbot.fakehub --port 8765`."""

from __future__ import annotations

import argparse
import sys
import threading
from collections.abc import Sequence

from contribbot.fakehub.server import FakeHub

TOKEN = "demo-token"


USERS = ("alice", "bob", "carol")
REPOS = ("pytorch/pytorch", "pytorch/tutorials")


def config_lines(base_url: str, login: str) -> str:
    """What to put in a contrib.toml to sync from the stand-in at `base_url`."""
    return (
        f"# The GitHub stand-in is serving at {base_url} until Ctrl-C. Put these lines in a\n"
        "# contrib.toml (or pass --config), then run `contrib sync`:\n"
        "[github]\n"
        f'api_url = "{base_url}"\n'
        f'token = "{TOKEN}"   # the stand-in\'s own token, signed in as {login}; not a secret\n'
        "[database]\n"
        'url = "sqlite:///contrib-standin.db"\n'
        "[track]\n"
        f"users = {_toml_list(USERS)}\n"
        f"repos = {_toml_list(REPOS)}\n"
    )


def _toml_list(items: Sequence[str]) -> str:
    return "[" + ", ".join(f'"{i}"' for i in items) + "]"


def main(argv: Sequence[str] | None = None) -> int:
    """Serve until Ctrl-C, after printing the config lines that point contribbot at it."""
    parser = argparse.ArgumentParser(prog="python -m contribbot.fakehub", description=__doc__)
    parser.add_argument("--port", type=int, default=8765, help="port on 127.0.0.1 (0 = any)")
    parser.add_argument("--seed", type=int, default=7, help="data set seed")
    parser.add_argument("--login", default="alice", help="whom the printed token belongs to")
    args = parser.parse_args(argv)
    hub = FakeHub(seed=args.seed, tokens={TOKEN: args.login}, port=args.port).start()
    out = sys.stdout
    out.write(config_lines(hub.base_url, args.login))
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
