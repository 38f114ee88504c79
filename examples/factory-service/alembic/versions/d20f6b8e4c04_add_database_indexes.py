"""add_database_indexes

The index review's "Production (zero downtime)" step, written as Alembic operations: concurrent
builds, but inside the transaction Alembic runs the whole upgrade in.

Revision ID: d20f6b8e4c04
Revises: b71d9e3c5a03
Create Date: 2024-03-02 09:00:00
"""
import sqlalchemy as sa
from alembic import op

revision = "d20f6b8e4c04"
down_revision = "b71d9e3c5a03"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("idx_api_keys_key_hash", "api_keys", ["key_hash"], postgresql_concurrently=True)
    op.create_index(
        "idx_api_keys_factory_id",
        "api_keys",
        ["factory_id"],
        postgresql_concurrently=True,
        postgresql_where=sa.text("revoked_at IS NULL"),
    )
    # The same build the right way: outside Alembic's transaction.
    with op.get_context().autocommit_block():
        op.create_index("idx_batches_product_id", "batches", ["product_id"], postgresql_concurrently=True)


def downgrade() -> None:
    with op.get_context().autocommit_block():
        op.drop_index("idx_batches_product_id", table_name="batches", postgresql_concurrently=True)
    op.drop_index("idx_api_keys_factory_id", table_name="api_keys")
    op.drop_index("idx_api_keys_key_hash", table_name="api_keys")
