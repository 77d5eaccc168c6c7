"""A persistent base: incremental matching, stable entity ids, steward decisions, change feed.

See :class:`Base` and ``docs/base.md``.
"""

from crmdedup.base._base import Base, Match, Update
from crmdedup.base._store import BaseError

__all__ = ["Base", "BaseError", "Match", "Update"]
