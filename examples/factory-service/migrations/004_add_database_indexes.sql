-- "Production (zero downtime)" block from the index review, copied as written.
-- Use CONCURRENTLY to avoid table locks
BEGIN;
CREATE INDEX CONCURRENTLY idx_api_keys_key_hash ON api_keys(key_hash);
CREATE INDEX CONCURRENTLY idx_api_keys_factory_id ON api_keys(factory_id);
CREATE INDEX CONCURRENTLY idx_batches_product_id ON batches(product_id);
COMMIT;
