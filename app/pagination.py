"""One page of a list: the items, the total count and the page arithmetic every journal shows."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Generic, TypeVar

T = TypeVar("T")

MAX_PER_PAGE = 100
# Far beyond any real list, small enough that (page - 1) * per_page fits every database's integer:
# a 20-digit ?page= is the last page's neighbour, not an overflow error.
MAX_PAGE = 10**6


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
    """A valid page number (1..MAX_PAGE) and page size (1..MAX_PER_PAGE)."""
    return max(1, min(page, MAX_PAGE)), max(1, min(per_page, MAX_PER_PAGE))


def clamp_offset(offset: int) -> int:
    """A valid row offset for lists paged by offset (0..MAX_PAGE * MAX_PER_PAGE)."""
    return max(0, min(offset, MAX_PAGE * MAX_PER_PAGE))
