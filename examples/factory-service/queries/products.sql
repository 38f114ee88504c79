-- The factory service's queries on products (sqlc format).

-- name: GetProductBySku :one
-- SKU search; many products have no SKU.
SELECT id, name, description
FROM products
WHERE sku = @sku;

-- name: GetProduct :one
SELECT id, name, description, sku FROM products WHERE id = @id;
