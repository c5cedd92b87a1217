"""`app_sessions` (the app's server-side sessions) and `login_throttle` (failed sign-ins)."""

from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from pde.db.types import UTCDateTime, utc_now


class AppSession(SQLModel, table=True):
    """One signed-in browser. The cookie holds a random token; this row holds only its keyed
    hash (`token_hash`), so a copy of the table opens no session."""

    __tablename__ = "app_sessions"
    __table_args__ = (
        sa.ForeignKeyConstraint(
            ["username"], ["users.username"], name="fk_app_sessions_username_users"
        ),
        sa.Index("ix_app_sessions_username", "username"),
    )

    token_hash: str = Field(primary_key=True, max_length=64, min_length=64)
    username: str = Field(max_length=64)
    csrf_token: str = Field(max_length=64)
    client_address: str | None = Field(default=None, max_length=64)
    created_at: datetime = Field(default_factory=utc_now, sa_type=UTCDateTime)
    last_seen_at: datetime = Field(default_factory=utc_now, sa_type=UTCDateTime)


class LoginThrottle(SQLModel, table=True):
    """Failed sign-ins counted per key (`user:<name>` or `address:<ip>`) since `window_start`;
    `locked_until` is set when the count reaches the limit."""

    __tablename__ = "login_throttle"

    key: str = Field(primary_key=True, max_length=128)
    failures: int = 0
    window_start: datetime = Field(default_factory=utc_now, sa_type=UTCDateTime)
    locked_until: datetime | None = Field(default=None, sa_type=UTCDateTime)
