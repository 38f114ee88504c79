"""create products

Revision ID: 3f1a0c2b9d01
Revises:
Create Date: 2024-03-01 10:00:00
"""
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "3f1a0c2b9d01"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Products made in the factory. SKU search is optional (the "LOW" item of the index review).
    op.create_table(
        "products",
        sa.Column("id", postgresql.UUID(as_uuid=True), primary_key=True),
        sa.Column("name", sa.String(255), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("sku", sa.String(100), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=True),
        sa.Column("updated_at", sa.DateTime(), nullable=True),
    )


def downgrade() -> None:
    op.drop_table("products")
