import { getMigrations } from "better-auth/db/migration";
import { authOptions } from "./auth";

/**
 * Creates or extends Better Auth's tables (user, session, account, verification, jwks) with
 * Better Auth's own migration tooling; tables that are already up to date are left alone.
 */
export async function migrateAuthDatabase(): Promise<void> {
  const { toBeCreated, toBeAdded, runMigrations } = await getMigrations(authOptions);
  if (toBeCreated.length === 0 && toBeAdded.length === 0) return;
  await runMigrations();
  const tables = [...toBeCreated, ...toBeAdded].map((change) => change.table);
  console.log(`Better Auth: migrated tables ${[...new Set(tables)].join(", ")}`);
}
