"""The GitHub stand-in: a generated pytorch-like data set served over loopback HTTP.

    with FakeHub(now=datetime(2026, 11, 20, 12, tzinfo=UTC)) as hub:
        gh = github.Github(base_url=hub.base_url, auth=github.Auth.Token("test-token"),
                           per_page=100, seconds_between_requests=0)
        hub.add_comment("pytorch/pytorch", 42, "bob", "ping")  # GitHub changes under you

PyGithub sleeps 0.25 s between requests unless told `seconds_between_requests=0`.
dataset.py / story.py / story_issues.py say what the data set holds, server.py how
the server behaves (auth, rate limits, ETags), knobs.py what tests turn on it (faults,
limits, late events, the request log), routes.py (over paging.py) what each endpoint
accepts, mutations.py how tests change the data while it is served, realism.py which
of GitHub's unkind habits it shows (`FakeHub(realism=Realism.all())`), and truth.py
the contributions a data set holds, the oracle of the end-to-end tests.
"""

from __future__ import annotations

from contribbot.fakehub.dataset import PYTORCH, TUTORIALS, build_dataset
from contribbot.fakehub.events import UserEvent, user_events
from contribbot.fakehub.knobs import RequestRecord
from contribbot.fakehub.model import (
    Account,
    Comment,
    Dataset,
    FileChange,
    Issue,
    Label,
    Repo,
    Review,
    ReviewComment,
    TimelineEntry,
)
from contribbot.fakehub.server import FakeHub

__all__ = [
    "PYTORCH",
    "TUTORIALS",
    "Account",
    "Comment",
    "Dataset",
    "FakeHub",
    "FileChange",
    "Issue",
    "Label",
    "Repo",
    "RequestRecord",
    "Review",
    "ReviewComment",
    "TimelineEntry",
    "UserEvent",
    "build_dataset",
    "user_events",
]
