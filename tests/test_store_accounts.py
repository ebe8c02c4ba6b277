"""Accounts are GitHub's accounts, not logins: a rename keeps the history on one row, and
whoever takes a freed login later is someone else (they used to be counted as the user)."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta

from engines import db_url
from sqlmodel import select

from contribbot.activity import account_ids, contributions
from contribbot.github.parse import CommentData
from contribbot.store import save
from contribbot.store.accounts import account_id
from contribbot.store.db import open_database, session_scope
from contribbot.store.models import Account, Comment, Issue

T0 = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
ALICE, NEWCOMER = 501, 777  # GitHub's database ids of two different people


def comment(n: int, login: str, github_id: int | None) -> CommentData:
    return CommentData(
        id=9000 + n, kind="issue", repo="pytorch/pytorch", number=1, author=login,
        author_id=github_id, author_kind="User", author_association="NONE",
        created_at=T0 + timedelta(hours=n), updated_at=T0 + timedelta(hours=n), body=f"c{n}",
        html_url=f"https://github.com/pytorch/pytorch/issues/1#issuecomment-{9000 + n}",
        review_id=None,
    )  # fmt: skip


def engine_with_an_issue(tmp_path):
    from contribbot.github.parse import IssueData

    engine = open_database(db_url(tmp_path / "accounts.db"))
    issue = IssueData(
        id=1, repo="pytorch/pytorch", number=1, is_pr=False, title="t", body="", state="open",
        state_reason=None, author="maintainer", author_id=1, author_kind="User",
        author_association="MEMBER", created_at=T0, updated_at=T0, closed_at=None, labels=(),
        assignees=(), comments=0, html_url="https://github.com/pytorch/pytorch/issues/1",
        draft=False, merged_at=None,
    )  # fmt: skip
    with session_scope(engine) as session:
        save.save_issue(session, data=issue, merged_labels=[])
    return engine


def save_comments(engine, *comments: CommentData) -> None:
    for data in comments:  # each in its own transaction, as pages are
        with session_scope(engine) as session:
            save.save_comment(session, data=data, issue_id=1)


def logins(engine) -> dict[int | None, str]:
    with session_scope(engine) as session:
        return {a.github_id: a.login for a in session.exec(select(Account)).all()}


def authors(engine) -> dict[int, str]:
    with session_scope(engine) as session:
        rows = session.exec(select(Comment.id, Account.login).join(Account)).all()
        return dict(rows)  # type: ignore[arg-type]


def test_a_renamed_account_keeps_its_history_and_a_newcomer_with_the_old_login_is_apart(tmp_path):
    engine = engine_with_an_issue(tmp_path)
    save_comments(engine, comment(1, "alice", ALICE))
    save_comments(engine, comment(2, "alice-dev", ALICE))  # alice renamed herself
    save_comments(engine, comment(3, "alice", NEWCOMER))  # someone took the free login
    assert logins(engine)[ALICE] == "alice-dev" and logins(engine)[NEWCOMER] == "alice"
    assert authors(engine) == {9001: "alice-dev", 9002: "alice-dev", 9003: "alice"}
    with session_scope(engine) as session:  # tracking "alice-dev" now finds all her work
        window = {"since": T0, "until": T0 + timedelta(days=1)}
        mine = contributions(session, users=["alice-dev"], **window)
        theirs = contributions(session, users=["alice"], **window)
        assert [c.url[-4:] for c in mine] == ["9001", "9002"]
        assert [c.url[-4:] for c in theirs] == ["9003"]


def test_a_newcomer_seen_before_the_renamed_users_next_payload(tmp_path):
    engine = engine_with_an_issue(tmp_path)
    save_comments(engine, comment(1, "alice", ALICE))
    save_comments(engine, comment(2, "alice", NEWCOMER))  # alice's rename not seen yet
    assert logins(engine) == {1: "maintainer", ALICE: "alice (renamed, id 501)", NEWCOMER: "alice"}
    assert authors(engine) == {9001: "alice (renamed, id 501)", 9002: "alice"}
    save_comments(engine, comment(3, "alice-dev", ALICE))  # her next payload names her
    assert logins(engine)[ALICE] == "alice-dev"
    assert authors(engine)[9001] == "alice-dev"


def test_payloads_without_an_id_match_by_login_and_lend_it_their_id_later(tmp_path):
    engine = engine_with_an_issue(tmp_path)
    with session_scope(engine) as session:
        first = account_id(session, login="ghost", github_id=None, kind="User")
    with session_scope(engine) as session:
        assert account_id(session, login="ghost", github_id=None, kind="User") == first
        assert account_id(session, login="ghost", github_id=42, kind="User") == first
    assert logins(engine)[42] == "ghost"
    with session_scope(engine) as session:
        assert list(account_ids(session, ["GHOST"]).values()) == ["ghost"]
        assert session.exec(select(Issue)).one().number == 1


def test_the_same_payload_twice_changes_nothing(tmp_path):
    engine = engine_with_an_issue(tmp_path)
    data = comment(1, "alice", ALICE)
    save_comments(engine, data, data, dataclasses.replace(data, body="edited"))
    assert logins(engine) == {1: "maintainer", ALICE: "alice"}


def test_an_older_database_with_two_rows_of_one_account_goes_on_with_the_current_login(tmp_path):
    engine = engine_with_an_issue(tmp_path)
    with session_scope(engine) as session:  # as the login-keyed code left a rename
        session.add(Account(login="alice", github_id=ALICE, kind="User"))
        session.add(Account(login="alice-dev", github_id=ALICE, kind="User"))
    save_comments(engine, comment(1, "alice-dev", ALICE), comment(2, "alice-dev", ALICE))
    assert sorted(logins_of(engine)) == ["alice", "alice-dev", "maintainer"]  # nothing renamed
    assert set(authors(engine).values()) == {"alice-dev"}


def logins_of(engine) -> list[str]:
    with session_scope(engine) as session:
        return [a.login for a in session.exec(select(Account)).all()]
