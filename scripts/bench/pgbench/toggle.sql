-- PATCH /api/{user_id}/tasks/{task_id}/complete with no body (the text is the server log's)
\set k random(0, :users - 1)
\set uid :first_user + :k
\set id :k * :per_user + random(1, :per_user)
UPDATE "tasks" SET "completed" =  NOT ("tasks"."completed"), "updated_at" = CURRENT_TIMESTAMP, "version" = ("tasks"."version" + 1) WHERE (("tasks"."id" = :id) AND ("tasks"."user_id" = :uid)) RETURNING "tasks"."id", "tasks"."user_id", "tasks"."title", "tasks"."description", "tasks"."completed", "tasks"."created_at", "tasks"."updated_at", "tasks"."version";
