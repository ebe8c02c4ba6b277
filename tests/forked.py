"""`contrib` commands in processes of their own, forked from one that imported contribbot
already: for the tests that signal, kill or race real processes (daemons, workers, a sync
killed with -9). A `python -m contribbot sync|daemon|worker` spends over a second of CPU
importing before its first request; a fork of an interpreter that has done it, a few
hundredths.

Each command still runs as `python -m contribbot ARGS` would: `contribbot.cli.main()` in
a process of its own (its pid, its file locks and database sessions, its signal handlers;
SIGTERM and SIGKILL reach it alone), with the caller's environment and working directory,
stdin from /dev/null, stdout and stderr into files. Tests of what a fresh process imports
start `python` itself (test_cli_imports.py).

CPU time: the server reaps its children and is waited for when the test process exits, so
a run's total (`/usr/bin/time`, bench/suite.py) counts them; bench/cpu_per_test.py's
per-test figures do not (a child's time reaches the test process only with the server's,
at its exit: it shows up outside the tests).
"""

from __future__ import annotations

import atexit
import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

# The fork server: imports what sync, daemon and worker need, then forks one child per
# request. Its protocol: a JSON request per line on stdin, a JSON answer per line on stdout.
SERVER = r"""
import gc, json, logging, os, signal, sys, traceback

import contribbot.app.budgets, contribbot.app.daemon, contribbot.app.jobs  # noqa: F401
import contribbot.app.worker, contribbot.cli.console  # noqa: F401
from contribbot.cli import main

gc.collect()
gc.freeze()  # the children share these pages instead of copying them
ended = {}


def run(request):
    code = 1
    try:
        null = os.open(os.devnull, os.O_RDONLY)
        os.dup2(null, 0)
        for fd, path in ((1, request["out"]), (2, request["err"])):
            os.dup2(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644), fd)
        os.chdir(request["cwd"])
        os.environ.clear()
        os.environ.update(request["env"])
        signal.signal(signal.SIGINT, signal.default_int_handler)
        sys.argv = ["contrib", *request["args"]]
        try:
            main()
            code = 0
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
        except BaseException:
            traceback.print_exc()
    finally:
        logging.shutdown()
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)


def reap(pid, flags):
    if pid not in ended:
        done, status = os.waitpid(pid, flags)
        if done:
            ended[pid] = os.waitstatus_to_exitcode(status)
    return ended.get(pid)


signal.signal(signal.SIGINT, signal.SIG_IGN)  # the test run's Ctrl-C is for pytest
for line in sys.stdin:
    request = json.loads(line)
    if request["op"] == "start":
        pid = os.fork()
        if pid == 0:
            run(request)
        answer = {"pid": pid}
    else:  # "poll": the exit code once it ended (-N: killed by signal N), else null
        answer = {"code": reap(request["pid"], os.WNOHANG)}
    sys.stdout.write(json.dumps(answer) + "\n")
    sys.stdout.flush()
while True:  # reap the children that ended unasked, so the run's CPU time counts theirs
    try:
        if os.waitpid(-1, os.WNOHANG)[0] == 0:
            break
    except ChildProcessError:
        break
"""

_lock = threading.Lock()
_server: subprocess.Popen[str] | None = None


def _ask(request: dict[str, Any]) -> dict[str, Any]:
    global _server
    with _lock:
        if _server is None or _server.poll() is not None:
            _server = subprocess.Popen(
                [sys.executable, "-c", SERVER],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                text=True,
                env={**os.environ, "PYTHONUNBUFFERED": "1"},
            )
            atexit.register(_stop, _server)
        assert _server.stdin is not None and _server.stdout is not None
        _server.stdin.write(json.dumps(request) + "\n")
        _server.stdin.flush()
        answer = _server.stdout.readline()
    assert answer, "the fork server died"
    return dict(json.loads(answer))


def _stop(server: subprocess.Popen[str]) -> None:
    if server.stdin is not None:
        server.stdin.close()  # its loop ends; its children are the tests' to end
    server.wait(timeout=30)


class Contrib:
    """One `contrib ARGS` process, as much of subprocess.Popen as the tests use."""

    def __init__(self, args: tuple[str, ...], cwd: Path) -> None:
        cwd.mkdir(parents=True, exist_ok=True)
        stem = f".contrib-{time.monotonic_ns()}"
        self._out, self._err = cwd / f"{stem}.out", cwd / f"{stem}.err"
        env = {**os.environ, "PYTHONUNBUFFERED": "1"}
        request = {"op": "start", "args": list(args), "cwd": str(cwd), "env": env}
        self.pid = int(_ask({**request, "out": str(self._out), "err": str(self._err)})["pid"])
        self.returncode: int | None = None

    def poll(self) -> int | None:
        """The exit code if it ended (-N: killed by signal N), else None."""
        if self.returncode is None:
            self.returncode = _ask({"op": "poll", "pid": self.pid})["code"]
        return self.returncode

    def wait(self, timeout: float) -> int:
        """Wait up to `timeout` seconds for it to end (subprocess.TimeoutExpired if not)."""
        deadline = time.monotonic() + timeout
        while self.poll() is None:
            if time.monotonic() > deadline:
                raise subprocess.TimeoutExpired(["contrib", self.pid], timeout)
            time.sleep(0.05)
        assert self.returncode is not None
        return self.returncode

    def communicate(self, timeout: float) -> tuple[str, str]:
        """Wait for it to end, then its stdout and stderr."""
        self.wait(timeout)
        out, err = (p.read_text(errors="replace") for p in (self._out, self._err))
        return out, err

    def send_signal(self, signum: int) -> None:
        """Signal it, unless it already ended."""
        if self.poll() is None:
            os.kill(self.pid, signum)

    def kill(self) -> None:
        """SIGKILL."""
        self.send_signal(signal.SIGKILL)


def start(*args: str, cwd: Path) -> Contrib:
    """`contrib ARGS` in a process of its own, forked from the fork server, in `cwd`."""
    return Contrib(args, cwd)
