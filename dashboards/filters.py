"""The shared filters: their URL form and the SQL predicates they become.

Plain Python (no Streamlit) so that the URL round trip and the predicates are testable alone;
``dashboards.frame`` renders them. Predicates hold only fixed column names and ``?``
placeholders; every value is a bound parameter.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from datetime import date
from typing import Any

# Multi-value filters, in sidebar order; the names are also their URL keys.
DIMENSIONS = ("merchant", "store", "terminal", "acquirer", "channel", "type", "cause")
PERIOD_KEYS = ("from", "to")
SEPARATOR = ","


@dataclass(frozen=True)
class Predicate:
    sql: str
    params: list[object]
    ignored: list[str] = field(default_factory=list)

    def bind(self, template: str, *extra: object, **parts: str) -> tuple[str, list[object]]:
        """The template with ``{where}`` filled in, and its parameters (then ``extra``)."""
        return template.format(where=self.sql, **parts), [*self.params, *extra]


@dataclass(frozen=True)
class Filters:
    start: date | None = None
    end: date | None = None
    merchant: tuple[str, ...] = ()
    store: tuple[str, ...] = ()
    terminal: tuple[str, ...] = ()
    acquirer: tuple[str, ...] = ()
    channel: tuple[str, ...] = ()
    type: tuple[str, ...] = ()
    cause: tuple[str, ...] = ()

    @classmethod
    def from_params(cls, params: Mapping[str, str | list[str]]) -> Filters:
        """Read the URL's query parameters; anything malformed is ignored, not fatal."""
        dimensions: dict[str, tuple[str, ...]] = {}
        for name in DIMENSIONS:
            raw = _one(params.get(name))
            if raw:
                dimensions[name] = tuple(v for v in raw.split(SEPARATOR) if v)
        return cls(start=_date(_one(params.get("from"))), end=_date(_one(params.get("to"))),
                   **dimensions)

    def to_params(self) -> dict[str, str]:
        """The URL form: only what is set, so that an unfiltered view has a clean link."""
        out: dict[str, str] = {}
        if self.start:
            out["from"] = self.start.isoformat()
        if self.end:
            out["to"] = self.end.isoformat()
        for name in DIMENSIONS:
            chosen = getattr(self, name)
            if chosen:
                out[name] = SEPARATOR.join(chosen)
        return out

    # Any: the fields differ in type, and a change names its field only at run time.
    def with_values(self, **changes: Any) -> Filters:
        return replace(self, **changes)

    def active(self) -> list[str]:
        names = ["period"] if self.start or self.end else []
        return names + [n for n in DIMENSIONS if getattr(self, n)]

    def where(self, columns: Mapping[str, str], *, monthly: bool = False) -> Predicate:
        """A predicate over ``columns`` (filter name → column). ``monthly``: the period
        column holds the first day of a month, so the period selects whole months."""
        clauses: list[str] = []
        params: list[object] = []
        ignored: list[str] = []
        if self.start or self.end:
            col = columns.get("period")
            if col is None:
                ignored.append("period")
            else:
                if self.start:
                    clauses.append(f"{col} >= date_trunc('month', ?::date)" if monthly
                                   else f"{col} >= ?")
                    params.append(self.start)
                if self.end:
                    clauses.append(f"{col} <= ?")
                    params.append(self.end)
        for name in DIMENSIONS:
            chosen: tuple[str, ...] = getattr(self, name)
            if not chosen:
                continue
            col = columns.get(name)
            if col is None:
                ignored.append(name)
                continue
            clauses.append(f"{col} in ({', '.join('?' * len(chosen))})")
            params.extend(chosen)
        return Predicate(" and ".join(clauses) or "true", params, ignored)


FILTER_FIELDS = tuple(f.name for f in fields(Filters))


def _one(value: str | list[str] | None) -> str | None:
    if isinstance(value, list):
        return value[-1] if value else None
    return value


def _date(value: str | None) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        return None
