"""One page of a list: the items, the total count and the page arithmetic every journal shows."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Generic, TypeVar

T = TypeVar("T")

MAX_PER_PAGE = 100


@dataclass
class Page(Generic[T]):
    items: list[T]
    total: int
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))


def clamp(page: int, per_page: int) -> tuple[int, int]:
    """A valid page number and page size (1..MAX_PER_PAGE)."""
    return max(1, page), max(1, min(per_page, MAX_PER_PAGE))
