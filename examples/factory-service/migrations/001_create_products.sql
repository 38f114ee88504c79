-- Products made in the factory. SKU search is optional (the "LOW" item of the index review).
CREATE TABLE products (
    id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    name        varchar(255) NOT NULL,
    description text,
    sku         varchar(100),
    created_at  timestamp DEFAULT now(),
    updated_at  timestamp DEFAULT now()
);
