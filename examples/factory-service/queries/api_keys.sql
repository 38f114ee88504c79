-- The factory service's queries on api_keys, kept as sqlc keeps them (https://docs.sqlc.dev):
-- a `-- name:` annotation before each query, named parameters instead of $1, $2.

-- name: GetApiKeyByHash :one
-- Every API request authenticates by the hash of its key.
SELECT id, factory_id, revoked_at
FROM api_keys
WHERE key_hash = sqlc.arg(key_hash);

-- name: ListActiveApiKeys :many
-- The admin panel lists a factory's keys that are not revoked.
SELECT id, name, key_prefix, created_at
FROM api_keys
WHERE factory_id = @factory_id
  AND revoked_at IS NULL;

-- name: ListApiKeysByCreation :many
-- The audit view: a factory's keys, newest first, one page at a time.
SELECT id, name, key_prefix, created_at, revoked_at
FROM api_keys
WHERE factory_id = @factory_id
ORDER BY created_at DESC
LIMIT @page_size;

-- name: CreateApiKey :one
INSERT INTO api_keys (name, key_hash, key_prefix, factory_id)
VALUES (@name, @key_hash, @key_prefix, @factory_id)
RETURNING id;

-- name: RevokeApiKey :exec
UPDATE api_keys SET revoked_at = now() WHERE id = @id;
