import { mkdirSync } from "node:fs";
import { dirname, resolve } from "node:path";
import Database from "better-sqlite3";
import { Pool } from "pg";

const DEFAULT_SQLITE_PATH = "./data/auth.db";

/**
 * Where Better Auth keeps users, sessions and signing keys: the API's PostgreSQL database
 * when DATABASE_URL is set, else an embedded SQLite file (AUTH_SQLITE_PATH) so the app runs
 * with no database server at all.
 */
export function openAuthDatabase(): Pool | Database.Database {
  const url = process.env.DATABASE_URL;
  if (url) {
    return new Pool({ connectionString: url, max: 5 });
  }
  // The path is chosen at run time; the ignore comment keeps Next from tracing the whole project.
  const path = resolve(/*turbopackIgnore: true*/ process.env.AUTH_SQLITE_PATH || DEFAULT_SQLITE_PATH);
  mkdirSync(dirname(path), { recursive: true });
  const db = new Database(path);
  db.pragma("journal_mode = WAL");
  return db;
}
