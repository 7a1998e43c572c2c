"""The model store's records (assistant/model_store/): the trained models, which one each
activation made live, and the trainings asked for in the console.

Revision ID: 0004
"""
import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "console_models",
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
    op.create_table(
        "console_activations",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("model_id", sa.Integer, sa.ForeignKey("console_models.id"), nullable=False, index=True),
        sa.Column("at", sa.Float, nullable=False),
        sa.Column("actor", sa.String(64), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("reason", sa.String(300), nullable=False, server_default=""),
    )
    op.create_table(
        "console_trainings",
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


def downgrade() -> None:
    op.drop_table("console_trainings")
    op.drop_table("console_activations")
    op.drop_table("console_models")
