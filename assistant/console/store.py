"""The console's database: the one the conversations are kept in (SQLite embedded, PostgreSQL
scaled), reached through the profile's tracker store, with the console's own tables created and
upgraded by Alembic migrations (assistant/console/migrations/versions/) at every start."""
from pathlib import Path
from typing import Optional

import sqlalchemy as sa
from sqlalchemy.engine import Engine

MIGRATIONS = Path(__file__).with_name("migrations")
# Alembic's own bookkeeping, named so that it cannot meet another tool's in a shared database.
VERSION_TABLE = "console_alembic_version"

metadata = sa.MetaData()

users = sa.Table(
    "console_users", metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("username", sa.String(64), nullable=False, unique=True),
    sa.Column("display_name", sa.String(100), nullable=False),
    sa.Column("role", sa.String(16), nullable=False),
    sa.Column("password_hash", sa.String(255), nullable=False),
    sa.Column("active", sa.Boolean, nullable=False),
    sa.Column("created_at", sa.Float, nullable=False),
)

# Attempts to sign in (or to confirm one's password) by the name typed, known or not.
sign_in_attempts = sa.Table(
    "console_sign_in_attempts", metadata,
    sa.Column("name", sa.String(64), primary_key=True),
    sa.Column("attempts", sa.Integer, nullable=False),
    sa.Column("blocked_until", sa.Float, nullable=False),
    sa.Column("last_attempt", sa.Float, nullable=False),
)

sessions = sa.Table(
    "console_sessions", metadata,
    sa.Column("token_hash", sa.String(64), primary_key=True),
    sa.Column("user_id", sa.Integer, sa.ForeignKey("console_users.id", ondelete="CASCADE"), nullable=False, index=True),
    sa.Column("csrf_token", sa.String(64), nullable=False),
    sa.Column("created_at", sa.Float, nullable=False),
    sa.Column("last_seen", sa.Float, nullable=False),
)

audit_log = sa.Table(
    "console_audit_log", metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("at", sa.Float, nullable=False, index=True),
    sa.Column("actor", sa.String(64), nullable=False),
    sa.Column("action", sa.String(32), nullable=False),
    sa.Column("target", sa.String(128), nullable=False),
)


def _alembic_config():
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return config


def latest_revision() -> str:
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(_alembic_config()).get_current_head()


def migrate(engine: Engine, revision: str = "head") -> None:
    """Bring the console's tables to the latest migration (nothing to do when they are)."""
    from alembic import command

    config = _alembic_config()
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, revision)


def schema_version(engine: Engine) -> Optional[str]:
    with engine.connect() as connection:
        if not sa.inspect(connection).has_table(VERSION_TABLE):
            return None
        return connection.execute(sa.text(f"SELECT version_num FROM {VERSION_TABLE}")).scalar()


def open_database(endpoints: Optional[Path] = None) -> Engine:
    """The engine of the conversations' database (that of the profile ASSISTANT_PROFILE names,
    or of `endpoints`), its console tables migrated."""
    from assistant.tracker_store import open_tracker_store

    store = open_tracker_store(endpoints)
    engine = getattr(store, "engine", None)
    if engine is None:
        raise ValueError("The staff console needs an SQL tracker store (endpoints.yml): "
                         "it keeps its own tables beside the conversations.")
    migrate(engine)
    return engine
