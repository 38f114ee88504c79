-- The factory service's queries on batches (sqlc format).

-- name: ListBatchesByProduct :many
SELECT id, name, size, created_at
FROM batches
WHERE product_id = sqlc.arg(product_id);

-- name: CountBatchesSince :one
SELECT count(*) FROM batches WHERE created_at >= @since;

-- name: UpdateBatchSize :exec
UPDATE batches SET size = @size, updated_at = now() WHERE id = @id;
