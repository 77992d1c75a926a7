DROP TRIGGER tasks_announce_change ON tasks;
DROP FUNCTION tasks_announce_change();
DROP TABLE idempotency_keys;
ALTER TABLE tasks DROP COLUMN version;
