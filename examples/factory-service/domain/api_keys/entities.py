from datetime import datetime
from uuid import uuid4

from sqlalchemy import Column, DateTime, Index, String
from sqlalchemy.dialects.postgresql import UUID as PG_UUID

from api.dependencies.db import Base


class ApiKey(Base):
    __tablename__ = "api_keys"

    id = Column(PG_UUID(as_uuid=True), primary_key=True, default=uuid4)
    name = Column(String(255), nullable=False)
    key_hash = Column(String(64), nullable=False, index=True)  # MEDIUM FIX: Add index
    key_prefix = Column(String(8), nullable=False)
    factory_id = Column(PG_UUID(as_uuid=True), nullable=False, index=True)  # MEDIUM FIX: Add index
    created_at = Column(DateTime, default=datetime.utcnow)
    revoked_at = Column(DateTime, nullable=True)

    # MEDIUM FIX: Composite index for efficient queries
    __table_args__ = (
        # The index review's hand-written index, declared here too: index=True above already builds one.
        Index("idx_api_keys_key_hash", "key_hash"),
        Index("idx_api_keys_factory_created", "factory_id", "created_at"),
        Index("idx_api_keys_active", "factory_id", postgresql_where=(revoked_at == None)),  # noqa: E711
    )
