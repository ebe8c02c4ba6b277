"""A tiny local webhook sink: records what is POSTed and answers like Slack ("ok").

Run `python -m contribbot.fakehub.sink --port 9999`, then `contrib demo --post-to
http://127.0.0.1:9999/hook` to watch a report arrive. The tests use it too.
"""

from __future__ import annotations

import argparse
import json
import sys
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Post:
    """One request the sink received."""

    path: str
    content_type: str
    body: bytes

    def json(self) -> Any:
        """The body as JSON."""
        return json.loads(self.body)


@dataclass
class Sink:
    """A loopback HTTP server that records POSTs; `echo` prints them as they arrive."""

    port: int = 0
    echo: bool = False
    delay_s: float = 0.0  # answer each POST this late (widens a race between two senders)
    posts: list[Post] = field(default_factory=list)
    _server: ThreadingHTTPServer | None = None

    def start(self) -> Sink:
        """Listen on 127.0.0.1 in a background thread."""
        sink = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                kind = self.headers.get("Content-Type", "")
                post = Post(self.path, kind, self.rfile.read(length))
                sink.posts.append(post)
                time.sleep(sink.delay_s)
                if sink.echo:
                    sys.stdout.write(f"--- POST {post.path} ({len(post.body)} bytes)\n")
                    sys.stdout.write(post.body.decode("utf-8", "replace") + "\n")
                    sys.stdout.flush()
                self.send_response(200)
                self.send_header("Content-Type", "text/plain")
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        threading.Thread(  # polled every 50 ms, as the hub's: stop() waits at most that
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        ).start()
        return self

    @property
    def url(self) -> str:
        """The URL to post to."""
        assert self._server is not None
        return f"http://127.0.0.1:{self._server.server_address[1]}/hook"

    def stop(self) -> None:
        """Stop listening."""
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()

    def __enter__(self) -> Sink:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def main() -> None:
    """Serve until Ctrl-C, printing every POST."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=9999)
    args = parser.parse_args()
    sink = Sink(port=args.port, echo=True).start()
    sys.stdout.write(f"listening on {sink.url} (Ctrl-C to stop)\n")
    sys.stdout.flush()
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        sink.stop()


if __name__ == "__main__":
    main()
