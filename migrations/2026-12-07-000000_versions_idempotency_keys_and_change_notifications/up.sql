-- Entity tags: a version per task, 1 when created and one more on every change. Existing
-- tasks start at 1.
ALTER TABLE tasks
    ADD COLUMN version bigint NOT NULL DEFAULT 1 CONSTRAINT tasks_version_positive CHECK (version >= 1);

-- Safe retries: each idempotency key with the request's fingerprint and a copy of the task
-- as it was created (the answer a repeat gets again, even after the task changed or went).
CREATE TABLE idempotency_keys (
    user_id     varchar(255) NOT NULL,
    key         varchar(255) NOT NULL,
    fingerprint varchar(128) NOT NULL,
    task_id     bigint NOT NULL,
    title       varchar(200) NOT NULL,
    description varchar(1000),
    completed   boolean NOT NULL,
    created_at  timestamptz NOT NULL,
    updated_at  timestamptz NOT NULL,
    version     bigint NOT NULL,
    expires_at  timestamptz NOT NULL,
    PRIMARY KEY (user_id, key)
);

-- Purging expired keys reads this index, never the whole table.
CREATE INDEX idempotency_keys_expires_at_idx ON idempotency_keys (expires_at);

-- Live updates: every committed change of a task is announced on `tasks_changed`. NOTIFY
-- is sent in the writing transaction, so only committed changes are delivered, in commit
-- order. A payload past PostgreSQL's 8000 bytes (long text of escaped control characters)
-- would fail the write: such a change is announced by its owner and id alone, and the
-- listener tells that user's streams to read the list again.
CREATE FUNCTION tasks_announce_change() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    changed tasks;
    payload text;
BEGIN
    IF TG_OP = 'DELETE' THEN
        changed := OLD;
    ELSE
        changed := NEW;
    END IF;
    payload := json_build_object('op', TG_OP, 'task', row_to_json(changed))::text;
    IF octet_length(payload) > 7900 THEN
        payload := json_build_object('op', TG_OP, 'user_id', changed.user_id, 'id', changed.id)::text;
    END IF;
    PERFORM pg_notify('tasks_changed', payload);
    RETURN NULL;
END;
$$;

CREATE TRIGGER tasks_announce_change
    AFTER INSERT OR UPDATE OR DELETE ON tasks
    FOR EACH ROW EXECUTE FUNCTION tasks_announce_change();
