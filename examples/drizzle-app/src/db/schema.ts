// The factory service (../../shared/seed) in Drizzle: products, API keys and batches. With
// casing: "snake_case" in drizzle.config.ts, `keyHash` is the column key_hash.
import { sql } from "drizzle-orm";
import { index, integer, pgTable, text, timestamp, uuid, varchar } from "drizzle-orm/pg-core";

export const products = pgTable("products", {
  id: uuid().primaryKey().default(sql`gen_random_uuid()`),
  name: varchar({ length: 255 }).notNull(),
  description: text(),
  sku: varchar({ length: 100 }),
  createdAt: timestamp().defaultNow(),
  updatedAt: timestamp().defaultNow(),
});

export const apiKeys = pgTable(
  "api_keys",
  {
    id: uuid().primaryKey().default(sql`gen_random_uuid()`),
    name: varchar({ length: 255 }).notNull(),
    keyHash: varchar({ length: 64 }).notNull().unique(),
    keyPrefix: varchar({ length: 8 }).notNull(),
    factoryId: uuid().notNull(),
    createdAt: timestamp().defaultNow(),
    revokedAt: timestamp(),
  },
  (t) => [
    // The review's index on key_hash, next to the .unique() that already is one.
    index("api_keys_key_hash_idx").on(t.keyHash),
    // Audit queries: a factory's keys over a time range. No migration has built it yet.
    index("api_keys_factory_created_idx").on(t.factoryId, t.createdAt.desc()),
  ],
);

export const batches = pgTable("batches", {
  id: uuid().primaryKey().default(sql`gen_random_uuid()`),
  productId: uuid()
    .notNull()
    .references(() => products.id),
  name: varchar({ length: 255 }).notNull(),
  size: integer().default(0),
  createdAt: timestamp().defaultNow(),
  updatedAt: timestamp().defaultNow(),
});
