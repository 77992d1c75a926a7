-- Entity tags are made from a version kept with the row: 1 when created, one more on every
-- write. Existing tasks start at 1.
ALTER TABLE tasks ADD COLUMN version INTEGER NOT NULL DEFAULT 1
    CONSTRAINT tasks_version_positive CHECK (version >= 1);

-- One row per (user, Idempotency-Key): the request's fingerprint and the task as it was
-- created, which a repeat of the request gets back even after the task changed or went.
-- No foreign key to tasks for that reason.
CREATE TABLE idempotency_keys (
    user_id     TEXT NOT NULL,
    key         TEXT NOT NULL,
    fingerprint TEXT NOT NULL,
    task_id     INTEGER NOT NULL,
    title       TEXT NOT NULL,
    description TEXT,
    completed   INTEGER NOT NULL,
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL,
    version     INTEGER NOT NULL,
    -- Microseconds since the Unix epoch (UTC), like the tasks' timestamps.
    expires_at  INTEGER NOT NULL,
    PRIMARY KEY (user_id, key)
) STRICT, WITHOUT ROWID;

-- Lets the purge of expired keys find them without reading every key.
CREATE INDEX idempotency_keys_expires_at_idx ON idempotency_keys (expires_at);
