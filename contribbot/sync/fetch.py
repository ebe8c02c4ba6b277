"""Conditional fetching with the ETags kept in the database (shared by sync and candidates)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Engine
from sqlmodel import Session

from contribbot.github.client import GitHubClient, Response
from contribbot.store import save
from contribbot.store.db import session_scope


class Fetcher:
    """Conditional GETs: the ETag is read in one transaction, the request sent with none
    open, and the new ETag kept in the transaction that saves what the answer brought."""

    def __init__(self, client: GitHubClient, clock: Callable[[], datetime]) -> None:
        self.client = client
        self.now = clock

    def etag(self, session: Session, url: str) -> str | None:
        """The ETag stored for `url`, if any."""
        return save.get_etag(session, key=self.client.cache_key(url))

    def remember(self, session: Session, response: Response) -> None:
        """Keep the response's ETag, in the same transaction as the data it describes."""
        self.keep(session, response.url, response.etag)

    def keep(self, session: Session, url: str, etag: str | None) -> None:
        """Keep `url`'s ETag, in the same transaction as the data it describes."""
        key = self.client.cache_key(url)
        save.set_etag(session, key=key, url=url, etag=etag, now=self.now())

    def collect(self, engine: Engine, path: str, **params: Any) -> Listing | None:
        """Every item of a list, or None when it is unchanged since the stored ETag.

        The ETag is read in a transaction of its own, and no transaction is open while a
        page is in flight: a worker waiting on GitHub (a secondary limit: minutes) holds no
        lock. The caller keeps the listing's ETag (`keep`) in the transaction that saves
        its items. Only one-page lists keep one: a 304 on page 1 of a longer list would
        hide the Link to the pages after it.
        """
        url: str | None = self.client.full_url(path, {**params, "per_page": self.client.per_page})
        assert url is not None
        with session_scope(engine) as session:
            etag = self.etag(session, url)
        items: list[dict[str, Any]] = []
        listing = Listing(items)
        first = True
        while url is not None:
            response = self.client.get(url, etag=etag if first else None)
            if response.not_modified:
                return None
            items.extend(response.data)
            url = response.links.get("next")
            if first and url is None:
                listing.keep = (response.url, response.etag)
            first = False
        return listing


@dataclass
class Listing:
    """A whole list; `keep` is (url, ETag) to keep with its items (one-page lists only)."""

    items: list[dict[str, Any]]
    keep: tuple[str, str | None] | None = None
