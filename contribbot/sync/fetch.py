"""Conditional fetching with the ETags kept in the database (shared by sync and candidates)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from sqlmodel import Session

from contribbot.github.client import GitHubClient, Response
from contribbot.store import save


class Fetcher:
    """GETs whose ETags live in the database, saved in the caller's transaction."""

    def __init__(self, client: GitHubClient, clock: Callable[[], datetime]) -> None:
        self.client = client
        self.now = clock

    def get(self, session: Session, url: str, *, resource: str = "core") -> Response:
        """GET `url`, sending If-None-Match when an ETag is stored for it."""
        etag = save.get_etag(session, key=self.client.cache_key(url))
        return self.client.get(url, etag=etag, resource=resource)

    def remember(self, session: Session, response: Response) -> None:
        """Keep the response's ETag, in the same transaction as the data it describes."""
        self.keep(session, response.url, response.etag)

    def keep(self, session: Session, url: str, etag: str | None) -> None:
        """Keep `url`'s ETag, in the same transaction as the data it describes."""
        key = self.client.cache_key(url)
        save.set_etag(session, key=key, url=url, etag=etag, now=self.now())

    def collect(self, session: Session, path: str, **params: Any) -> list[dict[str, Any]] | None:
        """Every item of a list, or None when it is unchanged since the stored ETag.

        Only one-page lists keep an ETag: a 304 on page 1 of a longer list would hide
        the Link to the pages after it.
        """
        url: str | None = self.client.full_url(path, {**params, "per_page": self.client.per_page})
        items: list[dict[str, Any]] = []
        first = True
        while url is not None:
            response = self.get(session, url) if first else self.client.get(url)
            if response.not_modified:
                return None
            items.extend(response.data)
            url = response.links.get("next")
            if first and url is None:
                self.remember(session, response)
            first = False
        return items
