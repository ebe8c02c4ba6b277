"""Data set objects -> GitHub REST JSON (pure): issues, pulls, comments, reviews,
timeline entries and events. Field sets follow GitHub's OpenAPI description, which
tests/test_fakehub_openapi.py checks.
"""

from __future__ import annotations

from contribbot.fakehub.events import UserEvent
from contribbot.fakehub.model import (
    Comment,
    FileChange,
    Issue,
    Review,
    ReviewComment,
    TimelineEntry,
)
from contribbot.fakehub.render_base import JSON, WEB, BaseRenderer, node_id, sha, stamp

__all__ = ["JSON", "Renderer"]


class Renderer(BaseRenderer):
    """Renders everything the endpoints serve for one data set and base URL."""

    # issues and pulls ------------------------------------------------------------------

    def issue(self, issue: Issue) -> JSON:
        """issue (PRs carry `pull_request` and `draft`)."""
        url = f"{self.repo_api(issue.repo)}/issues/{issue.number}"
        body: JSON = {
            "url": url,
            "repository_url": self.repo_api(issue.repo),
            "labels_url": f"{url}/labels{{/name}}",
            "comments_url": f"{url}/comments",
            "events_url": f"{url}/events",
            "html_url": self.html(issue),
            "id": issue.id,
            "node_id": node_id("I", issue.id),
            "number": issue.number,
            "title": issue.title,
            "user": self.user(issue.user),
            "labels": [self.label(issue.repo, name) for name in issue.labels],
            "state": issue.state,
            "locked": False,
            "assignee": self.user_or_none(issue.assignees[0] if issue.assignees else None),
            "assignees": [self.user(login) for login in issue.assignees],
            "milestone": None,
            "comments": len(issue.comments),
            "created_at": stamp(issue.created_at),
            "updated_at": stamp(issue.updated_at),
            "closed_at": stamp(issue.closed_at),
            "author_association": self.ds.association(issue.repo, issue.user),
            "active_lock_reason": None,
            "body": issue.body,
            "state_reason": issue.state_reason,
            "timeline_url": f"{url}/timeline",
            "performed_via_github_app": None,
            "reactions": self.reactions(url, issue.reactions, self.churn(issue.id)),
        }
        if issue.is_pr:
            body["draft"] = issue.draft
            body["pull_request"] = {
                "url": f"{self.repo_api(issue.repo)}/pulls/{issue.number}",
                "html_url": self.html(issue),
                "diff_url": f"{self.html(issue)}.diff",
                "patch_url": f"{self.html(issue)}.patch",
                "merged_at": stamp(issue.merged_at),
            }
        else:
            body["closed_by"] = self.user_or_none(issue.closed_by)
        return body

    def _ref(self, pr: Issue, head: bool) -> JSON:
        owner = pr.user if head else self.ds.repos[pr.repo].owner
        ref = pr.head_ref if head else pr.base_ref
        commit = self.head_sha(pr) if head else sha(pr.repo, pr.number, "base")
        return {
            "label": f"{owner}:{ref}",
            "ref": ref,
            "sha": commit,
            "user": self.user(owner),
            "repo": self.repository(pr.repo, pr.user if head else None),
        }

    def pull(self, pr: Issue, *, full: bool = False) -> JSON:
        """pull-request-simple, or pull-request when full."""
        api = f"{self.repo_api(pr.repo)}/pulls/{pr.number}"
        issue_url = f"{self.repo_api(pr.repo)}/issues/{pr.number}"
        statuses = f"{self.repo_api(pr.repo)}/statuses/{self.head_sha(pr)}"
        links = {
            "self": api,
            "html": self.html(pr),
            "issue": issue_url,
            "comments": f"{issue_url}/comments",
            "review_comments": f"{api}/comments",
            "review_comment": f"{self.repo_api(pr.repo)}/pulls/comments{{/number}}",
            "commits": f"{api}/commits",
            "statuses": statuses,
        }
        body: JSON = {
            "url": api,
            "id": pr.pull_id,  # the pulls API's id, not the issue's
            "node_id": node_id("PR", pr.pull_id),
            "html_url": self.html(pr),
            "diff_url": f"{self.html(pr)}.diff",
            "patch_url": f"{self.html(pr)}.patch",
            "issue_url": issue_url,
            "commits_url": links["commits"],
            "review_comments_url": links["review_comments"],
            "review_comment_url": links["review_comment"],
            "comments_url": links["comments"],
            "statuses_url": statuses,
            "number": pr.number,
            "state": pr.state,
            "locked": False,
            "title": pr.title,
            "user": self.user(pr.user),
            "body": pr.body,
            "labels": [self.label(pr.repo, name) for name in pr.labels],
            "milestone": None,
            "active_lock_reason": None,
            "created_at": stamp(pr.created_at),
            "updated_at": stamp(pr.updated_at),
            "closed_at": stamp(pr.closed_at),
            "merged_at": stamp(pr.merged_at),
            "merge_commit_sha": sha(pr.repo, pr.number, "merge") if pr.merged else None,
            "assignee": self.user_or_none(pr.assignees[0] if pr.assignees else None),
            "assignees": [self.user(login) for login in pr.assignees],
            "requested_reviewers": [self.user(login) for login in pr.requested_reviewers],
            "requested_teams": [],
            "head": self._ref(pr, True),
            "base": self._ref(pr, False),
            "_links": {name: {"href": href} for name, href in links.items()},
            "author_association": self.ds.association(pr.repo, pr.user),
            "auto_merge": None,
            "draft": pr.draft,
        }
        if full:
            body.update(self._pull_details(pr))
        return body

    def _pull_details(self, pr: Issue) -> JSON:
        is_open = pr.state == "open"
        return {
            "merged": pr.merged,
            "mergeable": True if is_open else None,
            "rebaseable": True if is_open else None,
            "mergeable_state": "clean" if is_open else "unknown",
            "merged_by": self.user_or_none(pr.merged_by),
            "comments": len(pr.comments),
            "review_comments": len(pr.review_comments),
            "maintainer_can_modify": True,
            "commits": 1 + len(pr.reviews),
            "additions": sum(f.additions for f in pr.files),
            "deletions": sum(f.deletions for f in pr.files),
            "changed_files": len(pr.files),
        }

    def file(self, pr: Issue, change: FileChange) -> JSON:
        """diff-entry."""
        head = self.head_sha(pr)
        return {
            "sha": sha(pr.repo, pr.number, change.filename),
            "filename": change.filename,
            "status": change.status,
            "additions": change.additions,
            "deletions": change.deletions,
            "changes": change.additions + change.deletions,
            "blob_url": f"{WEB}/{pr.repo}/blob/{head}/{change.filename}",
            "raw_url": f"{WEB}/{pr.repo}/raw/{head}/{change.filename}",
            "contents_url": f"{self.repo_api(pr.repo)}/contents/{change.filename}?ref={head}",
            "patch": f"@@ -1,{change.deletions} +1,{change.additions} @@",
        }

    # comments and reviews --------------------------------------------------------------

    def comment(self, comment: Comment) -> JSON:
        """issue-comment."""
        api = self.repo_api(comment.repo)
        return {
            "id": comment.id,
            "node_id": node_id("IC", comment.id),
            "url": f"{api}/issues/comments/{comment.id}",
            "html_url": f"{self.html(comment.issue)}#issuecomment-{comment.id}",
            "body": comment.body,
            "user": self.user(comment.user),
            "created_at": stamp(comment.created_at),
            "updated_at": stamp(comment.updated_at),
            "issue_url": f"{api}/issues/{comment.issue_number}",
            "author_association": self.ds.association(comment.repo, comment.user),
            "performed_via_github_app": None,
            "reactions": self.reactions(
                f"{api}/issues/comments/{comment.id}", extra=self.churn(comment.id)
            ),
        }

    def review(self, review: Review) -> JSON:
        """pull-request-review (PENDING ones have no submitted_at)."""
        pr_url = f"{self.repo_api(review.repo)}/pulls/{review.pr_number}"
        html = f"{self.html(review.issue)}#pullrequestreview-{review.id}"
        body: JSON = {
            "id": review.id,
            "node_id": node_id("PRR", review.id),
            "user": self.user(review.user),
            "body": review.body,
            "state": review.state,
            "html_url": html,
            "pull_request_url": pr_url,
            "_links": {"html": {"href": html}, "pull_request": {"href": pr_url}},
            "commit_id": self.head_sha(review.issue),
            "author_association": self.ds.association(review.repo, review.user),
        }
        if review.submitted_at is not None:
            body["submitted_at"] = stamp(review.submitted_at)
        return body

    def review_comment(self, inline: ReviewComment) -> JSON:
        """pull-request-review-comment."""
        api = f"{self.repo_api(inline.repo)}/pulls/comments/{inline.id}"
        pr_url = f"{self.repo_api(inline.repo)}/pulls/{inline.pr_number}"
        html = f"{self.html(inline.issue)}#discussion_r{inline.id}"
        body: JSON = {
            "url": api,
            "pull_request_review_id": inline.review_id,
            "id": inline.id,
            "node_id": node_id("PRRC", inline.id),
            "diff_hunk": f"@@ -1,3 +1,{inline.line} @@",
            "path": inline.path,
            "position": inline.line,
            "original_position": inline.line,
            "commit_id": self.head_sha(inline.issue),
            "original_commit_id": self.head_sha(inline.issue),
            "user": self.user(inline.user),
            "body": inline.body,
            "created_at": stamp(inline.created_at),
            "updated_at": stamp(inline.updated_at),
            "html_url": html,
            "pull_request_url": pr_url,
            "author_association": self.ds.association(inline.repo, inline.user),
            "_links": {
                "self": {"href": api},
                "html": {"href": html},
                "pull_request": {"href": pr_url},
            },
            "start_line": None,
            "original_start_line": None,
            "start_side": None,
            "line": inline.line,
            "original_line": inline.line,
            "side": "RIGHT",
            "subject_type": "line",
            "reactions": self.reactions(api),
        }
        if inline.in_reply_to_id is not None:
            body["in_reply_to_id"] = inline.in_reply_to_id
        return body

    # timeline and events ---------------------------------------------------------------

    def timeline_entry(self, issue: Issue, entry: TimelineEntry) -> JSON:
        """One stored timeline event (labeled, assigned, closed, cross-referenced...)."""
        if entry.kind == "cross-referenced" and entry.source is not None:
            return {
                "event": entry.kind,
                "actor": self.user(entry.actor),
                "created_at": stamp(entry.created_at),
                "updated_at": stamp(entry.created_at),
                "source": {"type": "issue", "issue": self.issue(entry.source)},
            }
        body: JSON = {
            "id": entry.id,
            "node_id": node_id("E", entry.id),
            "url": f"{self.repo_api(issue.repo)}/issues/events/{entry.id}",
            "actor": self.user(entry.actor),
            "event": entry.kind,
            "commit_id": None,
            "commit_url": None,
            "created_at": stamp(entry.created_at),
            "performed_via_github_app": None,
        }
        if entry.label is not None:
            color = self.ds.repos[issue.repo].labels[entry.label].color
            body["label"] = {"name": entry.label, "color": color}
        if entry.assignee is not None:
            body["assignee"] = self.user(entry.assignee)
        if entry.kind == "closed":
            body["state_reason"] = issue.state_reason if not issue.is_pr else None
        return body

    def timeline_comment(self, comment: Comment) -> JSON:
        """A `commented` timeline event."""
        return {**self.comment(comment), "event": "commented", "actor": self.user(comment.user)}

    def timeline_review(self, review: Review) -> JSON:
        """A `reviewed` timeline event (GitHub writes the state in lower case here)."""
        return {**self.review(review), "event": "reviewed", "state": review.state.lower()}

    def event(self, event: UserEvent) -> JSON:
        """event, with the payload its type calls for."""
        repo = self.ds.repos[event.issue.repo]
        actor = self.user(event.actor)
        return {
            "id": event.id,
            "type": event.type,
            "actor": {
                key: actor[key] for key in ("id", "login", "gravatar_id", "url", "avatar_url")
            }
            | {"display_login": event.actor},
            "repo": {"id": repo.id, "name": repo.full_name, "url": self.repo_api(repo.full_name)},
            "payload": self._payload(event),
            "public": True,
            "created_at": stamp(event.created_at),
        }

    def _payload(self, event: UserEvent) -> JSON:
        if event.type == "IssuesEvent":
            return {"action": event.action, "issue": self.issue(event.issue)}
        if event.type == "IssueCommentEvent" and event.comment is not None:
            return {
                "action": event.action,
                "issue": self.issue(event.issue),
                "comment": self.comment(event.comment),
            }
        payload: JSON = {"action": event.action, "pull_request": self.pull(event.issue)}
        if event.type == "PullRequestEvent":
            payload["number"] = event.issue.number
        elif event.review is not None:
            payload["review"] = self.review(event.review)
        elif event.review_comment is not None:
            payload["comment"] = self.review_comment(event.review_comment)
        return payload
