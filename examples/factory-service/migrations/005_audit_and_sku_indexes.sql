-- Composite index for audit queries (time-range by factory), and the SKU search index.
CREATE INDEX idx_api_keys_factory_created
    ON api_keys (factory_id, created_at DESC);

CREATE INDEX idx_products_sku ON products (sku) WHERE sku IS NOT NULL;
