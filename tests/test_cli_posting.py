"""`contrib report` on the command line: windows, exit codes, files, the JSON contract, and
its totals against `contrib activity` for the same window."""

from __future__ import annotations

import json
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from conftest import USERS, Standin, cli, config_text
from test_app_reports import TOTAL_OF_KIND, Synced, busiest_week, sync_standin

from contribbot.report.model import BALLS, TOTAL_KEYS
from contribbot.timeutil import shift_week, week_bounds, week_of

USER_KEYS = {
    "login",
    "totals",
    "previous_totals",
    "open_prs",
    "merged_prs",
    "opened_prs",
    "reviews",
    "issues",
    "time_to_first_review_hours",
    "time_to_merge_hours",
    "streak_weeks",
    "goals",
    "candidates",
}
OPEN_PR_KEYS = {"repo", "number", "title", "url", "ball", "days"}


@pytest.fixture(scope="module")
def synced(standin: Standin, tmp_path_factory: pytest.TempPathFactory) -> Synced:
    return sync_standin(standin, tmp_path_factory.mktemp("standin-cli"))


@pytest.fixture(scope="module")
def berlin(synced: Synced, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A second config on the same database, with the report in Europe/Berlin."""
    path = tmp_path_factory.mktemp("berlin") / "contrib.toml"
    db = synced.config.database_url()
    extra = '[report]\ntimezone = "Europe/Berlin"\n'
    path.write_text(config_text(synced.config.github.api_url, db, extra=extra))
    return path


def report_json(config: Path, *args: str) -> dict:
    code, out, err = cli("report", "--config", str(config), "--format", "json", *args)
    assert code == 0, err
    return json.loads(out)


def activity_counts(config: Path, since: str, until: str) -> dict[str, dict[str, int]]:
    """Per user, per total key: what `contrib activity --format json` lists in the window."""
    code, out, err = cli(
        "activity", "--config", str(config), "--since", since, "--until", until, "--format", "json"
    )
    assert code == 0, err
    counted = Counter((row["user"], TOTAL_OF_KIND[row["kind"]]) for row in json.loads(out))
    return {login: {key: counted[login, key] for key in TOTAL_KEYS} for login in USERS}


def one_error_line(err: str) -> str:
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1, err
    return lines[0]


# --- totals agree with `contrib activity` ----------------------------------------------


def test_week_totals_agree_with_activity(synced):
    week = busiest_week(synced.dataset)
    start, end = week_bounds(week, UTC)
    before, _ = week_bounds(shift_week(week, -1, UTC), UTC)
    doc = report_json(synced.path, "--week", week)
    now = activity_counts(synced.path, start.isoformat(), end.isoformat())
    previous = activity_counts(synced.path, before.isoformat(), start.isoformat())
    assert sum(sum(c.values()) for c in now.values()) > 50  # a busy week, not a vacuous match
    for entry in doc["users"]:
        assert entry["totals"] == now[entry["login"]], entry["login"]
        assert entry["previous_totals"] == previous[entry["login"]], entry["login"]


def test_custom_window_totals_and_lists_agree_with_activity(synced):
    since, until = "2026-11-09T15:00:00Z", "2026-11-19T08:30:00Z"
    doc = report_json(synced.path, "--since", since, "--until", until)
    assert doc["week"] is None
    counts = activity_counts(synced.path, since, until)
    assert sum(sum(c.values()) for c in counts.values()) > 0
    code, out, _ = cli(
        "activity", "--config", str(synced.path), "--since", since, "--until", until, "-f", "json"
    )
    rows = json.loads(out)
    for entry in doc["users"]:
        login = entry["login"]
        assert entry["totals"] == counts[login]
        for key, kind in (("merged_prs", "pr_merged"), ("opened_prs", "pr_opened")):
            listed = sorted((r["repo"], r["number"], r["at"]) for r in entry[key])
            assert listed == sorted(
                (r["repo"], r["number"], r["at"])
                for r in rows
                if r["user"] == login and r["kind"] == kind
            )


def test_berlin_week_across_dst_agrees_with_activity_from_local_dates(synced, berlin):
    doc = report_json(berlin, "--week", "2026-W43")
    assert (doc["start"], doc["end"]) == ("2026-10-18T22:00:00Z", "2026-10-25T23:00:00Z")
    # a date alone means local midnight in [report] timezone, for `activity` too
    counts = activity_counts(berlin, "2026-10-19", "2026-10-26")
    for entry in doc["users"]:
        assert entry["totals"] == counts[entry["login"]]


# --- the JSON contract ------------------------------------------------------------------


def test_json_has_the_contract_keys(synced):
    doc = report_json(synced.path, "--week", "2026-W47")
    assert {"week", "start", "end", "timezone", "users"} <= set(doc)
    assert (doc["week"], doc["timezone"]) == ("2026-W47", "UTC")
    assert (doc["start"], doc["end"]) == ("2026-11-16T00:00:00Z", "2026-11-23T00:00:00Z")
    assert [u["login"] for u in doc["users"]] == list(USERS)
    for entry in doc["users"]:
        assert USER_KEYS <= set(entry)
        assert set(entry["totals"]) == set(entry["previous_totals"]) == set(TOTAL_KEYS)
        for pr in entry["open_prs"]:
            assert OPEN_PR_KEYS <= set(pr) and pr["ball"] in BALLS
            assert isinstance(pr["days"], int) and pr["url"].startswith("https://github.com/")
    alice = doc["users"][0]
    # every ball but "reverted": the story has no reverted PR (test_activity_history has one)
    assert {pr["ball"] for pr in alice["open_prs"]} == set(BALLS) - {"reverted"}


def test_user_option_narrows_the_report(synced):
    doc = report_json(synced.path, "--week", busiest_week(synced.dataset), "--user", "carol")
    assert [u["login"] for u in doc["users"]] == ["carol"]


# --- bad windows: one clear line, exit code 2 -----------------------------------------


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--week", "2026-W99"), "--week: 2026 has no week 99"),
        (("--week", "next week"), "--week: 'next week' is not an ISO week like 2026-W47"),
        (("--since", "2026-11-20", "--until", "2026-11-01"), "is after --until"),
        (("--week", "2026-W47", "--since", "2026-11-16"), "use either --week or --since/--until"),
        (("--since", "last tuesday"), "--since: 'last tuesday' is not an ISO 8601 time"),
    ],
)
def test_bad_windows_are_one_line_and_exit_2(synced, args, message):
    code, out, err = cli("report", "--config", str(synced.path), *args)
    assert code == 2
    assert message in one_error_line(err)
    assert out == ""


# --- --output ---------------------------------------------------------------------------


def test_output_writes_json_to_the_file(synced, tmp_path):
    target = tmp_path / "week.json"
    week = busiest_week(synced.dataset)
    code, out, err = cli(
        "report", "--config", str(synced.path), "--week", week, "-f", "json", "-o", str(target)
    )
    assert code == 0 and out == ""
    assert f"wrote {target}" in err
    written = json.loads(target.read_text(encoding="utf-8"))
    assert written["week"] == week and [u["login"] for u in written["users"]] == list(USERS)
    assert not list(tmp_path.glob(".*.tmp"))  # written atomically, nothing left behind


def hostile_week(synced: Synced) -> str:
    """The week the PR with the hostile title landed in."""
    closed = synced.dataset.issue(*synced.dataset.landmarks["xss_pr"]).closed_at
    assert closed is not None
    return week_of(closed, UTC)


def test_output_writes_a_blog_post_with_front_matter(synced, tmp_path):
    target = tmp_path / "post.md"
    code, _, err = cli(
        "report",
        "--config",
        str(synced.path),
        "--week",
        hostile_week(synced),
        "--format",
        "markdown",
        "--front-matter",
        "--output",
        str(target),
    )
    assert code == 0, err
    text = target.read_text(encoding="utf-8")
    assert text.startswith("---\ntitle: ") and "\n## alice\n" in text
    assert "<script>" not in text and "&lt;script&gt;alert(1)&lt;/script&gt;" in text


def test_output_to_a_missing_directory_is_one_line(synced, tmp_path):
    target = tmp_path / "missing" / "week.json"
    code, _, err = cli("report", "--config", str(synced.path), "-f", "json", "-o", str(target))
    assert code != 0 and "cannot write" in one_error_line(err)


def test_output_writes_the_terminal_report_as_text(synced, tmp_path):
    target = tmp_path / "week.txt"
    code, _, err = cli(
        "report", "--config", str(synced.path), "--week", "2026-W47", "-o", str(target)
    )
    assert code == 0, err
    assert "alice" in target.read_text(encoding="utf-8")


def test_default_window_is_the_last_complete_week(synced):
    doc = report_json(synced.path)
    start = (datetime.now(UTC) - timedelta(days=7)).isocalendar()
    assert doc["week"] == f"{start.year}-W{start.week:02d}"
