"""The order xdist hands tests out in: the costliest first, spread over the workers.

`--dist worksteal` cuts the collection into one contiguous run per worker (the first idle
worker takes len // n, the next half of the rest, ...), each worker runs its run from the
front, and an idle worker steals the back half of the longest queue. A test of tens of
seconds that sits near the end of a run starts last and finishes alone (the long tail).
So every run starts with its share of the costly tests (dealt longest first to the run
with the least so far, as in LPT scheduling) and goes on with the others in file order.

The weights are wall seconds of one instance (the longest, for a parametrized test) in a
run of the whole suite with three workers on the quiet 2-core VM (bench/cpu_per_test.py,
2026-11-30 16:00): how long it keeps its worker busy, CPU and waits (a daemon's due
report, a killed process) alike; they only order the tests. A test not listed (or renamed)
weighs nothing and keeps its place among the others; nothing is asserted about time anywhere.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TypeVar

T = TypeVar("T")

# node id up to the parameters ("file::test") -> wall seconds of one instance. Only tests
# with function-scoped setups: moving one that shares a module fixture would build that
# fixture on two workers.
HEAVY: dict[str, float] = {
    "test_app_daemon_process.py::test_daemon_polls_posts_once_refuses_a_twin_and_stops_on_sigterm": 10.8,  # noqa: E501
    "test_app_worker.py::test_three_workers_one_killed_mid_backfill_end_like_one_process": 9.2,
    "test_app_daemon_process.py::test_sync_killed_with_sigkill_resumes_with_nothing_lost_or_doubled": 6.7,  # noqa: E501
    "test_worker_coordination.py::test_a_leader_killed_with_9_is_replaced_and_scheduling_goes_on": 6.5,  # noqa: E501
    "test_sync_user_renamed.py::test_a_user_renamed_between_polls_is_one_line_then_keeps_their_history": 6.1,  # noqa: E501
    "test_sync_graphql.py::test_rest_and_graphql_give_the_same_database_and_the_oracles_activity": 6,  # noqa: E501
    "test_cli.py::test_the_demo_runs_end_to_end_and_posts_once": 4.5,
    "test_graphql_daemon.py::test_mondays_report_goes_out_on_time_while_a_long_backfill_runs": 4.3,
    "test_sync_truth.py::test_first_sync_and_polls_find_every_contribution": 4,
    "test_github_app.py::test_the_key_and_tokens_are_never_printed_or_stored": 4,
    "test_app_daemon_process.py::test_daemon_once_runs_what_is_due_and_exits": 3.9,
    "test_app_runtime.py::test_disk_full_mid_sync_is_one_line_and_the_next_run_finishes": 3.7,
    "test_sync.py::test_idle_poll_is_free_then_a_poll_picks_up_a_comment_a_review_and_a_merge": 3.6,
    "test_sync.py::test_first_sync_matches_the_data_set_and_costs_the_users_items_not_the_repos": 3.4,  # noqa: E501
    "test_sync_kill.py::test_a_crash_before_any_page_of_a_first_sync_search_loses_and_doubles_nothing": 3.3,  # noqa: E501
    "test_sync_graphql.py::test_history_all_loads_what_lies_before_history_since": 2.8,
    "test_activity_history.py::test_changed_label_rules_re_derive_without_requests": 2.7,
    "test_sync_graphql.py::test_auto_falls_back_to_rest_without_a_graphql_endpoint": 2.6,
    "test_sync_graphql.py::test_kill_9_mid_backfill_resumes_with_nothing_lost_or_doubled": 2.5,
    "test_activity_history.py::test_reverted_before_first_sync_and_between_polls": 2.4,
    "test_activity_history.py::test_activity_json_has_pr_reverted_with_the_fields_of_pr_merged": 2.4,  # noqa: E501
    "test_sync_kill.py::test_sigkill_in_the_middle_of_a_stream_walk_then_a_rerun_equals_a_clean_sync": 1.3,  # noqa: E501
    "test_app_daemon_process.py::test_sigterm_ends_a_secondary_limit_wait": 1,
    "test_app_history.py::test_status_counts_a_rest_backfills_queued_follow_ups": 0.5,
}


def weight(nodeid: str) -> float:
    """The listed CPU seconds of a test (its node id, parameters or not), else 0."""
    name = nodeid.split("[", 1)[0].removeprefix("tests/")
    return HEAVY.get(name, 0.0)


def run_sizes(count: int, workers: int) -> list[int]:
    """How worksteal cuts `count` tests over `workers` idle workers at the start."""
    sizes = []
    for i in range(workers):
        size = count // (workers - i)
        sizes.append(size)
        count -= size
    return sizes


def spread(items: Sequence[T], ids: Sequence[str], workers: int) -> list[T]:
    """`items` reordered so each worker's run starts with its share of the costly ones."""
    sizes = run_sizes(len(items), workers)
    heavy = sorted(
        (i for i, nodeid in enumerate(ids) if weight(nodeid) > 0),
        key=lambda i: (-weight(ids[i]), i),
    )
    runs: list[list[int]] = [[] for _ in range(workers)]
    loads = [0.0] * workers
    for i in heavy:
        open_runs = [r for r in range(workers) if len(runs[r]) < sizes[r]]
        target = min(open_runs, key=lambda r: (loads[r], r))
        runs[target].append(i)
        loads[target] += weight(ids[i])
    chosen = set(heavy)
    light = iter(i for i in range(len(items)) if i not in chosen)
    for r in range(workers):
        runs[r].extend(next(light) for _ in range(sizes[r] - len(runs[r])))
    return [items[i] for run in runs for i in run]
