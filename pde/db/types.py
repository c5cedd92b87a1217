"""Column types shared by the tables: UTC timestamps and string-backed enums."""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Dialect


def utc_now() -> datetime:
    """The current time, timezone-aware, in UTC."""
    return datetime.now(UTC)


class UTCDateTime(sa.TypeDecorator[datetime]):
    """TIMESTAMP WITH TIME ZONE that only accepts aware datetimes and always returns UTC.

    SQLite stores no offset, so values are normalised to UTC on the way in and tagged UTC on
    the way out; PostgreSQL returns the session's zone, converted back to UTC here.
    """

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value.isoformat()} given: timestamps must be aware")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


class StrEnumType(sa.TypeDecorator[StrEnum]):
    """An enum stored as VARCHAR (a CHECK constraint on the table lists the values)."""

    impl = sa.String
    cache_ok = True

    def __init__(self, enum_class: type[StrEnum], length: int = 32) -> None:
        super().__init__(length)
        self.enum_class = enum_class

    def process_bind_param(self, value: Any, dialect: Dialect) -> str | None:
        if value is None:
            return None
        return str(self.enum_class(value).value)

    def process_result_value(self, value: Any, dialect: Dialect) -> StrEnum | None:
        return None if value is None else self.enum_class(value)

    @property
    def python_type(self) -> type[StrEnum]:
        return self.enum_class


def check_in(column: str, enum_class: type[StrEnum], *, name: str) -> sa.CheckConstraint:
    """CHECK (column IN (...)) over the enum's values, with an explicit name."""
    values = ", ".join(f"'{member.value}'" for member in enum_class)
    return sa.CheckConstraint(f"{column} IN ({values})", name=name)
