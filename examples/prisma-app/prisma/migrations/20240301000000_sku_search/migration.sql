-- Written by hand after `prisma migrate dev --create-only`: SKU search only looks at products
-- that have one. schema.prisma does not declare this partial index, so the next
-- `prisma migrate dev` would drop it.
CREATE INDEX CONCURRENTLY "products_sku_idx" ON "products"("sku") WHERE "sku" IS NOT NULL;
