"""Alembic environment for the factory service (trimmed to what pg-index-lint reads).

No `transaction_per_migration=True` here, so `alembic upgrade head` runs every pending revision
in one transaction.
"""
from alembic import context
from sqlalchemy import engine_from_config, pool

from api.dependencies.db import Base

config = context.config
target_metadata = Base.metadata


def run_migrations_online() -> None:
    connectable = engine_from_config(config.get_section(config.config_ini_section), poolclass=pool.NullPool)
    with connectable.connect() as connection:
        context.configure(connection=connection, target_metadata=target_metadata)
        with context.begin_transaction():
            context.run_migrations()


run_migrations_online()
