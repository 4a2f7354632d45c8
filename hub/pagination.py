"""Pages of a long list, numbered as GOV.UK pagination shows them. Every list the hub pages
through (the triage queue, the partner inbox, the follow-ups due) uses these."""

from __future__ import annotations

from dataclasses import dataclass
from math import ceil


class PageNotFound(LookupError):
    """A page number beyond the last page (or below the first)."""


@dataclass
class Page:
    items: list
    number: int
    size: int
    total: int

    @classmethod
    def numbered(cls, number: int, size: int, total: int) -> Page:
        """Page ``number`` of ``total`` items, empty until the caller fills it with the ``size``
        items from ``offset``; ``PageNotFound`` beyond the last page or below the first."""
        page = cls(items=[], number=number, size=size, total=total)
        if number < 1 or number > page.pages:
            raise PageNotFound(number)
        return page

    @property
    def offset(self) -> int:
        return (self.number - 1) * self.size

    @property
    def pages(self) -> int:
        return max(1, ceil(self.total / self.size))

    @property
    def has_previous(self) -> bool:
        return self.number > 1

    @property
    def has_next(self) -> bool:
        return self.number < self.pages

    @property
    def first_item(self) -> int:
        return (self.number - 1) * self.size + 1 if self.total else 0

    @property
    def last_item(self) -> int:
        return (self.number - 1) * self.size + len(self.items)

    @property
    def numbers(self) -> list[int | None]:
        """Page numbers for GOV.UK pagination: first, last, and the current one's neighbours;
        ``None`` where a run of pages is left out."""
        wanted = {1, self.pages, self.number - 1, self.number, self.number + 1}
        shown = sorted(n for n in wanted if 1 <= n <= self.pages)
        numbers: list[int | None] = []
        for n in shown:
            if numbers and n - numbers[-1] > 1:
                numbers.append(None)
            numbers.append(n)
        return numbers
