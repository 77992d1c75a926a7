-- POST /api/{user_id}/tasks with {"title": ...}
\set k random(0, :users - 1)
\set uid :first_user + :k
INSERT INTO "tasks" ("user_id", "title", "description", "completed") VALUES (:uid, :title, DEFAULT, :completed) RETURNING "tasks"."id", "tasks"."user_id", "tasks"."title", "tasks"."description", "tasks"."completed", "tasks"."created_at", "tasks"."updated_at", "tasks"."version";
