-- The same table as the PostgreSQL migration, with the same limits, in SQLite's types.
-- STRICT makes SQLite enforce the column types; the CHECKs stand in for varchar(n), which
-- SQLite ignores. length() counts characters (code points) of text, as varchar(n) does.
CREATE TABLE tasks (
    -- AUTOINCREMENT: the id of a deleted task is never handed out again, as with an
    -- identity column.
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    -- Better Auth's user id: non-empty, at most 255 bytes.
    user_id     TEXT NOT NULL CONSTRAINT tasks_user_id_length
                CHECK (user_id <> '' AND length(CAST(user_id AS BLOB)) <= 255),
    title       TEXT NOT NULL CONSTRAINT tasks_title_length CHECK (length(title) BETWEEN 1 AND 200),
    description TEXT CONSTRAINT tasks_description_length CHECK (length(description) <= 1000),
    completed   INTEGER NOT NULL DEFAULT 0 CONSTRAINT tasks_completed_boolean CHECK (completed IN (0, 1)),
    -- Microseconds since the Unix epoch (UTC): PostgreSQL's precision, and integers order
    -- as the instants do.
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL
) STRICT;

-- Serves the default listing (a user's tasks, newest first, ties by id) and every lookup
-- by owner.
CREATE INDEX tasks_user_id_created_at_id_idx ON tasks (user_id, created_at DESC, id DESC);
