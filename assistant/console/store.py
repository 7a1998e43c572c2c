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


# The conversation index (migration 0003): written by assistant/console/conversations.py only.
conversations = sa.Table(
    "console_conversations", metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("sender_id", sa.String(255), nullable=False, unique=True),
    sa.Column("started_at", sa.Float, nullable=False, index=True),
    sa.Column("last_at", sa.Float, nullable=False, index=True),
    sa.Column("language", sa.String(8), nullable=True),
    sa.Column("messages", sa.Integer, nullable=False),
    sa.Column("handoff", sa.Boolean, nullable=False),
    sa.Column("fallback", sa.Boolean, nullable=False),
    sa.Column("unhelpful", sa.Boolean, nullable=False),
    sa.Column("low_confidence", sa.Boolean, nullable=False),
    sa.Column("search_text", sa.Text, nullable=False),
    sa.Column("handoff_reference", sa.String(16), nullable=True, index=True),
    sa.Column("reviewed", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("reviewed_by", sa.String(64), nullable=True),
    sa.Column("tags", sa.String(300), nullable=False, server_default=""),
    sa.Column("last_event_id", sa.Integer, nullable=False),
)

messages = sa.Table(
    "console_messages", metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("conversation_id", sa.Integer, sa.ForeignKey("console_conversations.id", ondelete="CASCADE"),
              nullable=False),
    sa.Column("event_id", sa.Integer, nullable=False, unique=True),
    sa.Column("at", sa.Float, nullable=False, index=True),
    sa.Column("language", sa.String(8), nullable=False),
    sa.Column("text", sa.Text, nullable=False),
    sa.Column("intent", sa.String(255), nullable=False),
    sa.Column("topic", sa.String(255), nullable=False),
    sa.Column("confidence", sa.Float, nullable=False),
    sa.Column("not_understood", sa.Boolean, nullable=False),
    sa.Column("is_button", sa.Boolean, nullable=False),
    sa.Column("feedback", sa.String(3), nullable=True),
    # Written in neither Swedish nor English: the language found (migration 0007).
    sa.Column("written_in", sa.String(8), nullable=True),
)

index_state = sa.Table(
    "console_index_state", metadata,
    sa.Column("name", sa.String(32), primary_key=True),
    sa.Column("last_event_id", sa.Integer, nullable=False),
)

corrections = sa.Table(
    "console_corrections", metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("conversation_id", sa.Integer, sa.ForeignKey("console_conversations.id", ondelete="CASCADE"),
              nullable=False, index=True),
    sa.Column("event_id", sa.Integer, nullable=False, unique=True),
    sa.Column("language", sa.String(8), nullable=False),
    sa.Column("text", sa.Text, nullable=False),
    sa.Column("intent", sa.String(255), nullable=False),
    sa.Column("status", sa.String(16), nullable=False, index=True),
    sa.Column("created_by", sa.String(64), nullable=False),
    sa.Column("created_at", sa.Float, nullable=False),
    sa.Column("decided_by", sa.String(64), nullable=True),
    sa.Column("decided_at", sa.Float, nullable=True),
    sa.Column("outcome", sa.String(300), nullable=False, server_default=""),
)

# Rasa's own table of the SQL tracker store: one row per event, its JSON in `data`.
events = sa.Table(
    "events", sa.MetaData(),
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("sender_id", sa.String(255)),
    sa.Column("type_name", sa.String(255)),
    sa.Column("timestamp", sa.Float),
    sa.Column("data", sa.Text),
)

# The model store's records (migration 0004): written by assistant/model_store/ only.
models = sa.Table(
    "console_models", metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("sha256", sa.String(64), nullable=False, unique=True),
    sa.Column("size", sa.BigInteger, nullable=False),
    sa.Column("source", sa.String(16), nullable=False),
    sa.Column("trained_by", sa.String(64), nullable=False),
    sa.Column("trained_at", sa.Float, nullable=False),
    sa.Column("data_sha256", sa.String(64), nullable=False),
    sa.Column("evaluation", sa.Text, nullable=True),
    sa.Column("evaluated_at", sa.Float, nullable=True),
)

activations = sa.Table(
    "console_activations", metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("model_id", sa.Integer, sa.ForeignKey("console_models.id"), nullable=False, index=True),
    sa.Column("at", sa.Float, nullable=False),
    sa.Column("actor", sa.String(64), nullable=False),
    sa.Column("kind", sa.String(16), nullable=False),
    sa.Column("reason", sa.String(300), nullable=False, server_default=""),
)

trainings = sa.Table(
    "console_trainings", metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("kind", sa.String(16), nullable=False),
    sa.Column("status", sa.String(16), nullable=False, index=True),
    sa.Column("requested_by", sa.String(64), nullable=False),
    sa.Column("requested_at", sa.Float, nullable=False),
    sa.Column("started_at", sa.Float, nullable=True),
    sa.Column("finished_at", sa.Float, nullable=True),
    sa.Column("progress", sa.Text, nullable=False, server_default="{}"),
    sa.Column("log", sa.Text, nullable=False, server_default=""),
    sa.Column("model_id", sa.Integer, sa.ForeignKey("console_models.id"), nullable=True),
)

# Service notices (migration 0005): written by the console, read by assistant/notices.py.
notices = sa.Table(
    "console_notices", metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("text_sv", sa.Text, nullable=False),
    sa.Column("text_en", sa.Text, nullable=False),
    sa.Column("topics", sa.String(2000), nullable=False),  # space-separated; "" for every topic
    sa.Column("starts_at", sa.Float, nullable=False, index=True),
    sa.Column("ends_at", sa.Float, nullable=False, index=True),
    sa.Column("created_by", sa.String(64), nullable=False),
    sa.Column("created_at", sa.Float, nullable=False),
    sa.Column("ended_by", sa.String(64), nullable=True),
)

# Answers edited in the console (migration 0006): written by assistant/console/answers.py.
answer_edits = sa.Table(
    "console_answer_edits", metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("name", sa.String(255), nullable=False, index=True),
    sa.Column("language", sa.String(8), nullable=False),
    sa.Column("before", sa.Text, nullable=False),
    sa.Column("after", sa.Text, nullable=False),
    sa.Column("edited_by", sa.String(64), nullable=False),
    sa.Column("edited_at", sa.Float, nullable=False, index=True),
)
