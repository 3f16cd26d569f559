"""Paging of long lists: the same for every page and API list."""

from __future__ import annotations

from dataclasses import dataclass
from math import ceil
from typing import Any, Generic, TypeVar

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

T = TypeVar("T")


@dataclass(frozen=True)
class Page(Generic[T]):
    """One page of results and where it stands among the rest."""

    items: list[T]
    total: int
    number: int
    size: int

    @property
    def pages(self) -> int:
        return max(1, ceil(self.total / self.size))

    @property
    def has_previous(self) -> bool:
        return self.number > 1

    @property
    def has_next(self) -> bool:
        return self.number < self.pages


def paginate(db: Session, stmt: Select[Any], *, number: int, size: int) -> Page[Any]:
    """Run ``stmt`` for page ``number`` (1-based, clamped to the last page)."""
    total = db.scalar(select(func.count()).select_from(stmt.order_by(None).subquery())) or 0
    number = min(max(1, number), max(1, ceil(total / size)))
    items = list(db.scalars(stmt.limit(size).offset((number - 1) * size)))
    return Page(items=items, total=total, number=number, size=size)
