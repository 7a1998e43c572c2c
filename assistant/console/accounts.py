"""Staff accounts: roles, argon2 password hashes, sessions that expire, and a back-off after
repeated failed sign-ins.

Roles: `admin` (accounts, the audit log), `lead` (support lead: reviews conversations,
corrects them into training data, sees the figures), `agent` (support agent: looks up
handoffs). A session is a random token in a cookie; the database keeps only its SHA-256, so a
copy of the database opens no session. A session ends after CONSOLE_SESSION_IDLE_MINUTES
without a request (30) or CONSOLE_SESSION_HOURS after sign-in (8), at sign-out, and at once
when its account is deactivated or its password reset.
"""
import hashlib
import os
import re
import secrets
import time
from dataclasses import dataclass
from typing import Dict, List, Mapping, Optional

import sqlalchemy as sa
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy.engine import Engine

from assistant.console.store import sessions, users

ADMIN, LEAD, AGENT = "admin", "lead", "agent"
ROLES = (ADMIN, LEAD, AGENT)
MIN_PASSWORD_LENGTH = 12
MAX_PASSWORD_LENGTH = 256  # argon2 reads it all; far beyond any pass phrase
USERNAME = re.compile(r"[a-z0-9][a-z0-9._-]{1,63}")
# Failed sign-ins allowed before each further attempt waits, doubling up to the cap.
FREE_ATTEMPTS = 5
FIRST_WAIT_SECONDS = 30
MAX_WAIT_SECONDS = 15 * 60

# argon2id with the library's defaults (RFC 9106's second recommendation: 64 MiB, 3 passes).
_hasher = PasswordHasher()
# Verified for unknown usernames, so that a wrong name takes as long as a wrong password.
_UNKNOWN_USER_HASH = _hasher.hash(secrets.token_urlsafe(16))


class AccountError(ValueError):
    """What is wrong with what was entered; `field` names the form field, `key` the text."""

    def __init__(self, key: str, field: str = "", **values: object) -> None:
        super().__init__(key)
        self.key, self.field, self.values = key, field, values


@dataclass(frozen=True)
class Account:
    id: int
    username: str
    display_name: str
    role: str
    active: bool


@dataclass(frozen=True)
class Session:
    account: Account
    csrf_token: str


@dataclass(frozen=True)
class SessionLimits:
    idle_seconds: float
    max_seconds: float

    @classmethod
    def from_environment(cls, environ: Mapping[str, str] = os.environ) -> "SessionLimits":
        return cls(float(environ.get("CONSOLE_SESSION_IDLE_MINUTES", 30)) * 60,
                   float(environ.get("CONSOLE_SESSION_HOURS", 8)) * 3600)


def _account(row) -> Account:
    return Account(row.id, row.username, row.display_name, row.role, bool(row.active))


def check_password(password: str, username: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise AccountError("password_too_short", "password", minimum=MIN_PASSWORD_LENGTH)
    if len(password) > MAX_PASSWORD_LENGTH:
        raise AccountError("password_too_long", "password", maximum=MAX_PASSWORD_LENGTH)
    if username and username.lower() in password.lower():
        raise AccountError("password_has_username", "password")


def create_account(engine: Engine, username: str, display_name: str, role: str, password: str,
                   now: Optional[float] = None) -> Account:
    username = username.strip().lower()
    display_name = " ".join(display_name.split())
    if not USERNAME.fullmatch(username):
        raise AccountError("bad_username", "username")
    if not display_name or len(display_name) > 100:
        raise AccountError("bad_display_name", "display_name")
    if role not in ROLES:
        raise AccountError("bad_role", "role")
    check_password(password, username)
    password_hash = _hasher.hash(password)
    with engine.begin() as connection:
        if connection.execute(sa.select(users.c.id).where(users.c.username == username)).first():
            raise AccountError("username_taken", "username")
        connection.execute(users.insert().values(
            username=username, display_name=display_name, role=role, password_hash=password_hash,
            active=True, failed_sign_ins=0, blocked_until=0.0, created_at=time.time() if now is None else now))
    return find(engine, username)


def find(engine: Engine, username: str) -> Optional[Account]:
    with engine.connect() as connection:
        row = connection.execute(sa.select(users).where(users.c.username == username.strip().lower())).first()
    return _account(row) if row else None


def all_accounts(engine: Engine) -> List[Account]:
    with engine.connect() as connection:
        return [_account(row) for row in connection.execute(sa.select(users).order_by(users.c.username))]


def count_admins(engine: Engine) -> int:
    with engine.connect() as connection:
        return connection.execute(sa.select(sa.func.count()).select_from(users).where(
            (users.c.role == ADMIN) & (users.c.active == sa.true()))).scalar()


def sign_in(engine: Engine, username: str, password: str, now: Optional[float] = None) -> Account:
    """The account, if the password is right and the account active and not waiting after
    failed attempts; else AccountError("wrong_credentials") or ("wait", seconds=...). Every
    failure looks the same from outside, whether the name exists or not."""
    now = time.time() if now is None else now
    with engine.connect() as connection:
        row = connection.execute(sa.select(users).where(users.c.username == username.strip().lower())).first()
    if row is not None and row.blocked_until > now:
        raise AccountError("wait", seconds=int(row.blocked_until - now) + 1)
    try:
        _hasher.verify(row.password_hash if row is not None else _UNKNOWN_USER_HASH, password[:MAX_PASSWORD_LENGTH])
        right = row is not None
    except (VerificationError, InvalidHashError):
        right = False
    if row is None:
        raise AccountError("wrong_credentials")
    if not right or not row.active:
        failures = row.failed_sign_ins + 1
        wait = 0.0 if failures < FREE_ATTEMPTS else min(
            FIRST_WAIT_SECONDS * 2 ** (failures - FREE_ATTEMPTS), MAX_WAIT_SECONDS)
        with engine.begin() as connection:
            connection.execute(users.update().where(users.c.id == row.id).values(
                failed_sign_ins=failures, blocked_until=now + wait))
        raise AccountError("wrong_credentials")
    with engine.begin() as connection:
        values: Dict[str, object] = {"failed_sign_ins": 0, "blocked_until": 0.0}
        if _hasher.check_needs_rehash(row.password_hash):
            values["password_hash"] = _hasher.hash(password)
        connection.execute(users.update().where(users.c.id == row.id).values(**values))
    return _account(row)


def start_session(engine: Engine, account: Account, now: Optional[float] = None) -> str:
    """A new session for the account: the token for its cookie."""
    now = time.time() if now is None else now
    token = secrets.token_urlsafe(32)
    with engine.begin() as connection:
        connection.execute(sessions.insert().values(
            token_hash=_digest(token), user_id=account.id, csrf_token=secrets.token_urlsafe(32),
            created_at=now, last_seen=now))
    return token


def session(engine: Engine, token: Optional[str], limits: SessionLimits,
            now: Optional[float] = None) -> Optional[Session]:
    """The live session of a cookie's token (its idle time starts again), else None."""
    if not token or len(token) > 100:
        return None
    now = time.time() if now is None else now
    digest = _digest(token)
    with engine.begin() as connection:
        row = connection.execute(
            sa.select(sessions.c.csrf_token, sessions.c.created_at, sessions.c.last_seen, users)
            .join(users, users.c.id == sessions.c.user_id).where(sessions.c.token_hash == digest)).first()
        if row is None:
            return None
        if (not row.active or now - row.last_seen > limits.idle_seconds
                or now - row.created_at > limits.max_seconds):
            connection.execute(sessions.delete().where(sessions.c.token_hash == digest))
            return None
        connection.execute(sessions.update().where(sessions.c.token_hash == digest).values(last_seen=now))
    return Session(_account(row), row.csrf_token)


def end_session(engine: Engine, token: str) -> None:
    with engine.begin() as connection:
        connection.execute(sessions.delete().where(sessions.c.token_hash == _digest(token)))


def _end_all_sessions(connection, account_id: int) -> None:
    connection.execute(sessions.delete().where(sessions.c.user_id == account_id))


def set_role(engine: Engine, account_id: int, role: str) -> None:
    if role not in ROLES:
        raise AccountError("bad_role", "role")
    _keep_an_admin(engine, account_id, role=role)
    with engine.begin() as connection:
        connection.execute(users.update().where(users.c.id == account_id).values(role=role))


def set_active(engine: Engine, account_id: int, active: bool) -> None:
    """Deactivating ends every session of the account at once."""
    if not active:
        _keep_an_admin(engine, account_id, active=False)
    with engine.begin() as connection:
        connection.execute(users.update().where(users.c.id == account_id).values(
            active=active, failed_sign_ins=0, blocked_until=0.0))
        if not active:
            _end_all_sessions(connection, account_id)


def set_password(engine: Engine, account_id: int, password: str) -> None:
    """A new password (reset by an admin or changed by its owner) ends every session of the
    account; whoever changed their own signs in again."""
    with engine.connect() as connection:
        username = connection.execute(sa.select(users.c.username).where(users.c.id == account_id)).scalar()
    check_password(password, username or "")
    password_hash = _hasher.hash(password)
    with engine.begin() as connection:
        connection.execute(users.update().where(users.c.id == account_id).values(
            password_hash=password_hash, failed_sign_ins=0, blocked_until=0.0))
        _end_all_sessions(connection, account_id)


def password_is(engine: Engine, account_id: int, password: str) -> bool:
    with engine.connect() as connection:
        stored = connection.execute(sa.select(users.c.password_hash).where(users.c.id == account_id)).scalar()
    try:
        return bool(stored) and _hasher.verify(stored, password[:MAX_PASSWORD_LENGTH])
    except (VerificationError, InvalidHashError):
        return False


def delete_expired_sessions(engine: Engine, limits: SessionLimits, now: Optional[float] = None) -> int:
    now = time.time() if now is None else now
    with engine.begin() as connection:
        return connection.execute(sessions.delete().where(
            (sessions.c.last_seen < now - limits.idle_seconds)
            | (sessions.c.created_at < now - limits.max_seconds))).rowcount


def _keep_an_admin(engine: Engine, account_id: int, role: str = ADMIN, active: bool = True) -> None:
    """No change may leave the console without an active admin: no one could manage accounts."""
    with engine.connect() as connection:
        row = connection.execute(sa.select(users.c.role, users.c.active).where(users.c.id == account_id)).first()
    if row is None:
        raise AccountError("no_such_account")
    losing_an_admin = row.role == ADMIN and row.active and (role != ADMIN or not active)
    if losing_an_admin and count_admins(engine) <= 1:
        raise AccountError("last_admin")


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()
