-- The service's only table. `user_id` is Better Auth's user id, kept without a foreign key:
-- Better Auth's tables may live elsewhere, and this service never touches them.
CREATE TABLE tasks (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    user_id     varchar(255) NOT NULL CONSTRAINT tasks_user_id_not_empty CHECK (user_id <> ''),
    title       varchar(200) NOT NULL CONSTRAINT tasks_title_not_empty CHECK (title <> ''),
    description varchar(1000),
    completed   boolean NOT NULL DEFAULT false,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now()
);

-- Serves the default listing (a user's tasks, newest first, ties by id) and every lookup
-- by owner.
CREATE INDEX tasks_user_id_created_at_id_idx ON tasks (user_id, created_at DESC, id DESC);
