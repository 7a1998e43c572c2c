"""Service notices: posted by support leads in the console, shown by the assistant
(assistant/notices.py).

Revision ID: 0005
"""
import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "console_notices",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("text_sv", sa.Text, nullable=False),
        sa.Column("text_en", sa.Text, nullable=False),
        sa.Column("topics", sa.String(2000), nullable=False),
        sa.Column("starts_at", sa.Float, nullable=False, index=True),
        sa.Column("ends_at", sa.Float, nullable=False, index=True),
        sa.Column("created_by", sa.String(64), nullable=False),
        sa.Column("created_at", sa.Float, nullable=False),
        sa.Column("ended_by", sa.String(64), nullable=True),
    )


def downgrade() -> None:
    op.drop_table("console_notices")
