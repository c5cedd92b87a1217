"""`users`: people who sign in, with a role and an argon2 password hash."""

import re
from datetime import datetime

import sqlalchemy as sa
from pydantic import field_validator
from sqlmodel import Field, SQLModel

from pde.db.models.enums import Role
from pde.db.types import StrEnumType, UTCDateTime, check_in, utc_now

USERNAME_PATTERN = r"[a-z][a-z0-9._-]{1,63}"
MIN_PASSWORD_LENGTH = 12


class UserBase(SQLModel):
    username: str = Field(max_length=64)
    full_name: str = Field(max_length=128)
    role: Role = Field(sa_type=StrEnumType(Role, 16))
    is_active: bool = True


class UserCreate(UserBase):
    password: str = Field(min_length=MIN_PASSWORD_LENGTH, max_length=256)

    @field_validator("username")
    @classmethod
    def _lower(cls, value: str) -> str:
        value = value.lower()
        if not re.fullmatch(USERNAME_PATTERN, value):
            raise ValueError("2-64 characters: a letter, then letters, digits, '.', '_' or '-'")
        return value


class UserUpdate(SQLModel):
    full_name: str | None = Field(default=None, max_length=128)
    role: Role | None = None
    is_active: bool | None = None


class User(UserBase, table=True):
    __tablename__ = "users"
    __table_args__ = (
        sa.UniqueConstraint("username", name="uq_users_username"),
        check_in("role", Role, name="ck_users_role"),
    )

    id: int | None = Field(default=None, primary_key=True)
    password_hash: str = Field(max_length=255)
    must_change_password: bool = True
    created_at: datetime = Field(default_factory=utc_now, sa_type=UTCDateTime)
    last_login_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class UserPublic(UserBase):
    id: int
    must_change_password: bool
    created_at: datetime
    last_login_at: datetime | None
