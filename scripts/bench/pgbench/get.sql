-- GET /api/{user_id}/tasks/{task_id}
\set k random(0, :users - 1)
\set uid :first_user + :k
\set id :k * :per_user + random(1, :per_user)
SELECT "tasks"."id", "tasks"."user_id", "tasks"."title", "tasks"."description", "tasks"."completed", "tasks"."created_at", "tasks"."updated_at", "tasks"."version" FROM "tasks" WHERE (("tasks"."id" = :id) AND ("tasks"."user_id" = :uid));
