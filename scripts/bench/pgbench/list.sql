-- GET /api/{user_id}/tasks (defaults: status=all, sort=created desc, limit 100, offset 0):
-- the one statement crates/store-postgres/src/listing.rs issues, copied from the server log.
\set k random(0, :users - 1)
\set uid :first_user + :k
SELECT "tasks"."id", "tasks"."user_id", "tasks"."title", "tasks"."description", "tasks"."completed", "tasks"."created_at", "tasks"."updated_at", "tasks"."version", COUNT(*) OVER () FROM "tasks" WHERE ("tasks"."user_id" = :uid) ORDER BY "tasks"."created_at" DESC, "tasks"."id" DESC LIMIT :lim OFFSET :off;
