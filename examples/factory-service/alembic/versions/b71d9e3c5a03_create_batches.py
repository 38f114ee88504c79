"""create batches

Revision ID: b71d9e3c5a03
Revises: 8c4e2d7a1f02
Create Date: 2024-03-01 10:10:00
"""
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "b71d9e3c5a03"
down_revision = "8c4e2d7a1f02"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "batches",
        sa.Column("id", postgresql.UUID(as_uuid=True), primary_key=True),
        sa.Column("product_id", postgresql.UUID(as_uuid=True), sa.ForeignKey("products.id"), nullable=False),
        sa.Column("name", sa.String(255), nullable=False),
        sa.Column("size", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=True),
        sa.Column("updated_at", sa.DateTime(), nullable=True),
    )
    # Safe: batches was created above, in this same revision, so nobody is writing to it yet.
    op.create_index("batches_created_at_idx", "batches", ["created_at"])


def downgrade() -> None:
    op.drop_index("batches_created_at_idx", table_name="batches")
    op.drop_table("batches")
