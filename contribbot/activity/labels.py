"""Whether each tracked repo's PR history was derived with the config's label rules.

Every command that opens the database checks this (one query). Only when a repo's rules
changed, or were never recorded, does ``contribbot.activity.history`` re-derive and record
them: a command that only reads never imports the save path.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from contribbot.activity.lifecycle import label_config_key
from contribbot.config import Config
from contribbot.store.reader import Reader, states

if TYPE_CHECKING:
    from sqlmodel import Session


def labels_key(repo: str) -> str:
    """The sync-state key holding the label rules `repo`'s history was derived with."""
    return f"lifecycle:{repo.lower()}:labels"


def label_rules_changed(db: Reader | Session, config: Config) -> bool:
    """Whether some tracked repo's recorded label rules differ from the config's."""
    wanted = {
        labels_key(repo): label_config_key(
            config.repo(repo).merged_labels, config.repo(repo).reverted_labels
        )
        for repo in config.track.repos
    }
    if not wanted:
        return False
    return states(db, list(wanted)) != wanted
