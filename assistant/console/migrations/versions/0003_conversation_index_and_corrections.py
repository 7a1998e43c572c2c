"""The conversation index (one row per conversation, one per user message, read out of the
tracker's events so that lists and filters need not parse them) and the corrections queue.

Revision ID: 0003
"""
import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "console_conversations",
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
    op.create_table(
        "console_messages",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("conversation_id", sa.Integer,
                  sa.ForeignKey("console_conversations.id", ondelete="CASCADE"), nullable=False),
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
    )
    op.create_index("console_messages_by_conversation", "console_messages", ["conversation_id", "at"])
    op.create_index("console_messages_by_topic", "console_messages", ["topic", "conversation_id"])
    op.create_table(
        "console_index_state",
        sa.Column("name", sa.String(32), primary_key=True),
        sa.Column("last_event_id", sa.Integer, nullable=False),
    )
    op.create_table(
        "console_corrections",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("conversation_id", sa.Integer,
                  sa.ForeignKey("console_conversations.id", ondelete="CASCADE"), nullable=False, index=True),
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
    if op.get_bind().dialect.name == "postgresql":
        # Word search over 100,000 conversations: PostgreSQL's own full-text index, no extension.
        op.execute("CREATE INDEX console_conversations_search ON console_conversations "
                   "USING gin (to_tsvector('simple', search_text))")


def downgrade() -> None:
    op.drop_table("console_corrections")
    op.drop_table("console_index_state")
    op.drop_table("console_messages")
    op.drop_table("console_conversations")
