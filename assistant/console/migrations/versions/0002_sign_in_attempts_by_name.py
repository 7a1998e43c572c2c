"""Sign-in attempts counted by the name typed, known or not, instead of on the account: an
unknown name is slowed like a real one, so the answers tell no one which names exist.

Revision ID: 0002
"""
import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "console_sign_in_attempts",
        sa.Column("name", sa.String(64), primary_key=True),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("blocked_until", sa.Float, nullable=False),
        sa.Column("last_attempt", sa.Float, nullable=False),
    )
    with op.batch_alter_table("console_users") as users:
        users.drop_column("failed_sign_ins")
        users.drop_column("blocked_until")


def downgrade() -> None:
    with op.batch_alter_table("console_users") as users:
        users.add_column(sa.Column("blocked_until", sa.Float, nullable=False, server_default="0"))
        users.add_column(sa.Column("failed_sign_ins", sa.Integer, nullable=False, server_default="0"))
    op.drop_table("console_sign_in_attempts")
