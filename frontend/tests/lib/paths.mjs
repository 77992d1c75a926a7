import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

export const FRONTEND = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
export const REPO = resolve(FRONTEND, "..");
/** Logs and screenshots of the test run (gitignored). */
export const OUTPUT_DIR = join(FRONTEND, "test-output");
export const API_BIN = process.env.TASKS_API_BIN || join(REPO, "target/debug/tasks-api");
