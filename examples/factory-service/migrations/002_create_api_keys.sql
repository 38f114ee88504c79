-- API keys: every request authenticates by key_hash, so this table is hot.
CREATE TABLE api_keys (
    id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    name        varchar(255) NOT NULL,
    key_hash    varchar(64)  NOT NULL,
    key_prefix  varchar(8)   NOT NULL,
    factory_id  uuid         NOT NULL,
    created_at  timestamp DEFAULT now(),
    revoked_at  timestamp
);
