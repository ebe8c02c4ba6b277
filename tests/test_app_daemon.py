"""A failed job keeps its traceback: a field in JSON logs, a debug line in text logs."""

from __future__ import annotations

import io
import json
import logging

import pytest

from contribbot.app.daemon import Daemon
from contribbot.cli.console import JsonFormatter


def broken_job():
    raise RuntimeError("the database went away")


@pytest.fixture
def captured():
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    logger = logging.getLogger("contribbot.daemon")
    logger.addHandler(handler)
    old = logger.level
    logger.setLevel(logging.DEBUG)
    yield stream, handler
    logger.removeHandler(handler)
    logger.setLevel(old)


def daemon() -> Daemon:
    return Daemon(config=None, engine=None, client=None)  # type: ignore[arg-type]


def test_json_logs_carry_the_traceback_as_a_field(captured):
    stream, handler = captured
    handler.setFormatter(JsonFormatter())
    runner = daemon()
    runner._run("poll", broken_job)
    lines = [json.loads(line) for line in stream.getvalue().splitlines()]
    failed = [line for line in lines if line["level"] == "error"]
    assert len(failed) == 1 and runner.failures == 1
    assert failed[0]["message"] == "poll failed: the database went away"
    assert failed[0]["job"] == "poll" and failed[0]["ok"] is False
    trace = failed[0]["traceback"]
    assert trace.startswith("Traceback") and "in broken_job" in trace
    assert "RuntimeError: the database went away" in trace


def test_text_logs_show_the_traceback_at_debug_level(captured):
    stream, handler = captured
    handler.setFormatter(logging.Formatter("%(levelname)s %(message)s"))
    handler.setLevel(logging.INFO)
    daemon()._run("poll", broken_job)
    assert stream.getvalue() == "ERROR poll failed: the database went away\n"  # one line
    stream.truncate(0)
    stream.seek(0)
    handler.setLevel(logging.DEBUG)  # --verbose
    daemon()._run("poll", broken_job)
    text = stream.getvalue()
    assert "DEBUG poll failed:\nTraceback" in text and "in broken_job" in text
