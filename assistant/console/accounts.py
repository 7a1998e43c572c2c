"""Staff accounts: roles, argon2 password hashes, sessions that expire, and a back-off after
repeated failed sign-ins.

Roles: `admin` (accounts, the audit log), `lead` (support lead: reviews conversations,
corrects them into training data, sees the figures), `agent` (support agent: looks up
handoffs). A session is a random token in a cookie; the database keeps only its SHA-256, so a
copy of the database opens no session.

Attempts are counted by the name typed, whether an account has it or not, and each is counted
before its password is checked, in one statement: parallel guesses cannot share one count, and
an unknown name is slowed exactly like a real one. A session ends after CONSOLE_SESSION_IDLE_MINUTES
without a request (30) or CONSOLE_SESSION_HOURS after sign-in (8), at sign-out, and at once
when its account is deactivated or its password reset.
"""
import hashlib
import os
import re
import secrets
import time
from dataclasses import dataclass
from typing import List, Mapping, Optional

import sqlalchemy as sa
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy.engine import Engine

from assistant.channels.edge import clean_text
from assistant.console.store import sessions, sign_in_attempts, users

ADMIN, LEAD, AGENT = "admin", "lead", "agent"
ROLES = (ADMIN, LEAD, AGENT)
MIN_PASSWORD_LENGTH = 12
MAX_PASSWORD_LENGTH = 256  # argon2 reads it all; far beyond any pass phrase
USERNAME = re.compile(r"[a-z0-9][a-z0-9._-]{1,63}")
# Failed sign-ins allowed before each further attempt waits, doubling up to the cap.
FREE_ATTEMPTS = 5
FIRST_WAIT_SECONDS = 30
MAX_WAIT_SECONDS = 15 * 60
STALE_AFTER_SECONDS = 3600
# How precisely a session's idle time is kept.
LAST_SEEN_RESOLUTION_SECONDS = 30

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
    display_name = clean_text(display_name)  # no control characters: PostgreSQL refuses NUL
    if not USERNAME.fullmatch(username):
        raise AccountError("bad_username", "username")
    if not display_name or len(display_name) > 100:
        raise AccountError("bad_display_name", "display_name")
    if role not in ROLES:
        raise AccountError("bad_role", "role")
    check_password(password, username)
    password_hash = _hasher.hash(password)
    try:
        with engine.begin() as connection:
            if connection.execute(sa.select(users.c.id).where(users.c.username == username)).first():
                raise AccountError("username_taken", "username")
            connection.execute(users.insert().values(
            username=username, display_name=display_name, role=role, password_hash=password_hash,
            active=True, created_at=time.time() if now is None else now))
    except sa.exc.IntegrityError:  # the same name added at the same moment
        raise AccountError("username_taken", "username") from None
    return find(engine, username)


def find(engine: Engine, username: str) -> Optional[Account]:
    with engine.connect() as connection:
        row = connection.execute(sa.select(users).where(users.c.username == username.strip().lower())).first()
    return _account(row) if row else None


def all_accounts(engine: Engine) -> List[Account]:
    with engine.connect() as connection:
        return [_account(row) for row in connection.execute(sa.select(users).order_by(users.c.username))]


def sign_in(engine: Engine, username: str, password: str, now: Optional[float] = None) -> Account:
    """The account, if the password is right and the account active; else AccountError
    ("wrong_credentials"), or ("wait", seconds=...) after FREE_ATTEMPTS failures with that name.
    Every failure looks the same from outside, whether the name exists or not."""
    name = _attempt_name(username)
    _count_attempt(engine, name, now)
    with engine.connect() as connection:
        row = connection.execute(sa.select(users).where(users.c.username == name)).first()
    if not _verify(row.password_hash if row is not None else _UNKNOWN_USER_HASH, password) or row is None \
            or not row.active:
        raise AccountError("wrong_credentials")
    with engine.begin() as connection:
        connection.execute(sign_in_attempts.delete().where(sign_in_attempts.c.name == name))
        if _hasher.check_needs_rehash(row.password_hash):
            connection.execute(users.update().where(users.c.id == row.id).values(password_hash=_hasher.hash(password)))
    return _account(row)


def confirm_password(engine: Engine, account: Account, password: str, now: Optional[float] = None) -> bool:
    """Whether `password` is the account's own, counted as a sign-in attempt (a session left
    open must not let anyone guess the password at full speed)."""
    _count_attempt(engine, account.username, now)
    with engine.connect() as connection:
        stored = connection.execute(sa.select(users.c.password_hash).where(users.c.id == account.id)).scalar()
    right = bool(stored) and _verify(stored, password)
    if right:
        with engine.begin() as connection:
            connection.execute(sign_in_attempts.delete().where(sign_in_attempts.c.name == account.username))
    return right


def _attempt_name(username: str) -> str:
    """The name an attempt is counted under: as typed, without control characters (PostgreSQL
    refuses NUL in text), so that "anna" and "anna\x00" are counted alike."""
    return clean_text(username[:256]).lower()[:64]


def _count_attempt(engine: Engine, name: str, now: Optional[float]) -> None:
    """Count one attempt for `name` before its password is checked; AccountError("wait") if
    the name must wait. After FREE_ATTEMPTS attempts without a success, each further one sets
    a wait before the next, doubling from FIRST_WAIT_SECONDS up to MAX_WAIT_SECONDS."""
    now = time.time() if now is None else now
    table = sign_in_attempts
    with engine.connect() as connection:
        known = connection.execute(sa.select(table.c.name).where(table.c.name == name)).first()
    if known is None:
        try:
            with engine.begin() as connection:
                connection.execute(table.insert().values(name=name, attempts=0, blocked_until=0.0, last_attempt=now))
        except sa.exc.IntegrityError:
            pass  # a parallel first attempt made the row
    with engine.begin() as connection:
        # One statement: the row's lock (PostgreSQL) or the database's (SQLite) orders parallel
        # attempts. Attempts an hour apart start the count again: a few typos a week lock no one out.
        counted = connection.execute(table.update().where((table.c.name == name) & (table.c.blocked_until <= now))
                                     .values(attempts=sa.case((table.c.last_attempt < now - STALE_AFTER_SECONDS, 1),
                                                              else_=table.c.attempts + 1),
                                             last_attempt=now)).rowcount
        if not counted:
            blocked_until = connection.execute(sa.select(table.c.blocked_until).where(table.c.name == name)).scalar()
            if blocked_until is None:  # a success deleted the row meanwhile: count anew
                return _count_attempt(engine, name, now)
            raise AccountError("wait", seconds=int(blocked_until - now) + 1)
        attempts = connection.execute(sa.select(table.c.attempts).where(table.c.name == name)).scalar()
        if attempts >= FREE_ATTEMPTS:
            wait = min(FIRST_WAIT_SECONDS * 2 ** (attempts - FREE_ATTEMPTS), MAX_WAIT_SECONDS)
            connection.execute(table.update().where(table.c.name == name).values(blocked_until=now + wait))


def _verify(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password[:MAX_PASSWORD_LENGTH])
    except (VerificationError, InvalidHashError):
        return False


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
        if now - row.last_seen > LAST_SEEN_RESOLUTION_SECONDS:  # not a write for every page
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
    with engine.begin() as connection:
        _keep_an_admin(connection, account_id, role=role)
        connection.execute(users.update().where(users.c.id == account_id).values(role=role))


def set_active(engine: Engine, account_id: int, active: bool) -> None:
    """Deactivating ends every session of the account at once."""
    with engine.begin() as connection:
        _keep_an_admin(connection, account_id, active=active)
        connection.execute(users.update().where(users.c.id == account_id).values(active=active))
        if not active:
            _end_all_sessions(connection, account_id)


def set_password(engine: Engine, account_id: int, password: str) -> None:
    """A new password (reset by an admin or changed by its owner) ends every session of the
    account; whoever changed their own signs in again."""
    with engine.connect() as connection:
        username = connection.execute(sa.select(users.c.username).where(users.c.id == account_id)).scalar()
    if username is None:
        raise AccountError("no_such_account")
    check_password(password, username)
    password_hash = _hasher.hash(password)
    with engine.begin() as connection:
        connection.execute(users.update().where(users.c.id == account_id).values(password_hash=password_hash))
        connection.execute(sign_in_attempts.delete().where(sign_in_attempts.c.name == username))
        _end_all_sessions(connection, account_id)


def delete_expired_sessions(engine: Engine, limits: SessionLimits, now: Optional[float] = None) -> int:
    """Expired sessions, and sign-in attempts a day past their last wait (they count no more)."""
    now = time.time() if now is None else now
    with engine.begin() as connection:
        connection.execute(sign_in_attempts.delete().where(
            (sign_in_attempts.c.blocked_until < now - 24 * 3600) & (sign_in_attempts.c.last_attempt < now - 24 * 3600)))
        return connection.execute(sessions.delete().where(
            (sessions.c.last_seen < now - limits.idle_seconds)
            | (sessions.c.created_at < now - limits.max_seconds))).rowcount


def _keep_an_admin(connection, account_id: int, role: str = ADMIN, active: bool = True) -> None:
    """No change may leave the console without an active admin: no one could manage accounts.
    The active admins' rows stay locked until the change is stored (PostgreSQL; SQLite takes
    one writer at a time), so two admins demoting each other at once cannot both succeed."""
    admins = connection.execute(sa.select(users.c.id).where((users.c.role == ADMIN) & (users.c.active == sa.true()))
                                .with_for_update()).scalars().all()
    if connection.execute(sa.select(users.c.id).where(users.c.id == account_id)).first() is None:
        raise AccountError("no_such_account")
    if account_id in admins and (role != ADMIN or not active) and len(admins) <= 1:
        raise AccountError("last_admin")


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()
