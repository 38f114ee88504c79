"""audit and sku indexes

Revision ID: e93a1c5d7b05
Revises: d20f6b8e4c04
Create Date: 2024-03-05 14:30:00
"""
import sqlalchemy as sa
from alembic import op

revision = "e93a1c5d7b05"
down_revision = "d20f6b8e4c04"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Composite index for audit queries (time-range by factory), and the SKU search index.
    op.execute("CREATE INDEX idx_api_keys_factory_created ON api_keys (factory_id, created_at DESC)")
    op.create_index("idx_products_sku", "products", ["sku"], postgresql_where=sa.text("sku IS NOT NULL"))


def downgrade() -> None:
    op.drop_index("idx_products_sku", table_name="products")
    op.drop_index("idx_api_keys_factory_created", table_name="api_keys")
