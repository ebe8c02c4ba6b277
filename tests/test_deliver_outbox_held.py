"""A message the service refuses as malformed waits for `contrib deliveries --retry`
without blocking the destination's later reports; the later parts of its own report
wait with it, so no report arrives with a part missing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
import respx
from conftest import load, write_config
from sqlmodel import select

from contribbot.deliver import outbox
from contribbot.deliver.service import send_due
from contribbot.store.db import open_database, session_scope
from contribbot.store.models import Delivery

HOOK = "https://hooks.slack.invalid/services/T000/B000/held"
NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


def setup(tmp_path):
    extra = f'[[destinations]]\nname = "team"\ntype = "slack"\nwebhook_url = "{HOOK}"\n'
    config = load(write_config(tmp_path, "http://127.0.0.1:9", users=["alice"], extra=extra))
    engine = open_database(config.database_url())
    with session_scope(engine) as session:
        for week, parts in (("2026-W46", 2), ("2026-W47", 1)):
            payloads = [{"text": f"{week} part {n}"} for n in range(1, parts + 1)]
            outbox.plan(
                session,
                destination="team",
                kind="weekly",
                subject="alice",
                period=week,
                payloads=payloads,
                now=NOW,
            )
    return config, engine


def statuses(engine) -> list[tuple[str, int, str]]:
    with session_scope(engine) as session:
        rows = session.exec(select(Delivery).order_by(Delivery.id)).all()
        return [(row.period, row.part, row.status) for row in rows]


def send(config, engine, at: datetime) -> None:
    send_due(engine, config=config, clock=lambda: at, sleep=lambda s: None)


@respx.mock
def test_a_malformed_message_waits_for_retry_and_later_reports_still_go_out(tmp_path):
    config, engine = setup(tmp_path)
    posted: list[str] = []

    def slack(request: httpx.Request) -> httpx.Response:
        text = request.read().decode()
        if "2026-W46 part 1" in text and len(posted) < 10:
            return httpx.Response(400, text="invalid_blocks")
        posted.append(text)
        return httpx.Response(200, text="ok")

    respx.post(HOOK).mock(side_effect=slack)
    send(config, engine, NOW)
    send(config, engine, NOW + timedelta(days=1))  # a later run: backoff long past
    assert statuses(engine) == [
        ("2026-W46", 1, "failed_permanent"),
        ("2026-W46", 2, "pending"),  # held with its report's first part, not sent alone
        ("2026-W47", 1, "sent"),  # the next week is not blocked behind it
    ]
    assert [("2026-W47 part 1" in text) for text in posted] == [True]

    posted.extend(["x"] * 10)  # the fix is in: the service now takes the message
    from conftest import cli

    code, _, err = cli("deliveries", "--retry", "--config", str(tmp_path / "contrib.toml"))
    assert code == 0, err
    assert [status for *_, status in statuses(engine)] == ["sent", "sent", "sent"]
    assert ["2026-W46 part 1" in t for t in posted[-2:]] == [True, False]  # in order
