DROP TABLE idempotency_keys;
ALTER TABLE tasks DROP COLUMN version;
