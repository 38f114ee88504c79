"""create api_keys

Revision ID: 8c4e2d7a1f02
Revises: 3f1a0c2b9d01
Create Date: 2024-03-01 10:05:00
"""
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "8c4e2d7a1f02"
down_revision = "3f1a0c2b9d01"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # API keys: every request authenticates by key_hash, so this table is hot.
    op.create_table(
        "api_keys",
        sa.Column("id", postgresql.UUID(as_uuid=True), primary_key=True),
        sa.Column("name", sa.String(255), nullable=False),
        sa.Column("key_hash", sa.String(64), nullable=False),
        sa.Column("key_prefix", sa.String(8), nullable=False),
        sa.Column("factory_id", postgresql.UUID(as_uuid=True), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=True),
        sa.Column("revoked_at", sa.DateTime(), nullable=True),
    )


def downgrade() -> None:
    op.drop_table("api_keys")
