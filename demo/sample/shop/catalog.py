"""The books we sell.

In production the catalog is loaded once at start-up from the CSV export of the publisher feed;
tests build a ``Catalog`` straight from a list of ``Book`` objects.
"""

import csv
from collections.abc import Iterable, Iterator
from pathlib import Path

from shop.errors import NotFoundError
from shop.models import Book, BookFormat
from shop.money import parse_money

CSV_COLUMNS = ("sku", "title", "author", "price", "format", "weight_grams")


class Catalog:
    def __init__(self, books: Iterable[Book]) -> None:
        self._books = {book.sku: book for book in books}

    def get(self, sku: str) -> Book:
        """The book with this SKU; an unknown SKU is the customer's (or a stale page's) mistake."""
        try:
            return self._books[sku]
        except KeyError:
            raise NotFoundError(f"No book with SKU {sku!r}") from None

    def search(self, text: str, limit: int = 20) -> list[Book]:
        """Books whose title or author contains every word of ``text``, ignoring case."""
        words = text.lower().split()
        hits = [
            book
            for book in self._books.values()
            if all(word in f"{book.title} {book.author}".lower() for word in words)
        ]
        return sorted(hits, key=lambda book: book.title)[:limit]

    def __iter__(self) -> Iterator[Book]:
        return iter(self._books.values())

    def __len__(self) -> int:
        return len(self._books)


def load_catalog(path: Path) -> Catalog:
    """Reads a catalog CSV with the columns in ``CSV_COLUMNS`` (format and weight are optional)."""
    with path.open(newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    books = []
    # Line 1 is the header, so the first book is on line 2 of the file.
    for line_no, row in enumerate(rows, start=2):
        try:
            books.append(
                Book(
                    sku=row["sku"].strip(),
                    title=row["title"].strip(),
                    author=row["author"].strip(),
                    price=parse_money(row["price"]),
                    format=BookFormat(row.get("format") or "paperback"),
                    weight_grams=int(row.get("weight_grams") or 0),
                )
            )
        except (KeyError, ValueError) as error:
            raise ValueError(f"{path}:{line_no}: bad catalog row ({error})") from error
    return Catalog(books)
