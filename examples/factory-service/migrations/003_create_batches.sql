CREATE TABLE batches (
    id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    product_id  uuid NOT NULL REFERENCES products (id),
    name        varchar(255) NOT NULL,
    size        integer DEFAULT 0,
    created_at  timestamp DEFAULT now(),
    updated_at  timestamp DEFAULT now()
);

-- Safe: batches was created above, in this same migration, so nobody is writing to it yet.
CREATE INDEX batches_created_at_idx ON batches (created_at);
