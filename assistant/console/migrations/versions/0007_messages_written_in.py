"""The language a message was written in when it is neither Swedish nor English, so that the
figures show which languages applicants ask in (assistant/language.py finds it).

Revision ID: 0007
"""
import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("console_messages") as table:
        table.add_column(sa.Column("written_in", sa.String(8), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("console_messages") as table:
        table.drop_column("written_in")
