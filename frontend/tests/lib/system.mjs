// The system under test: a fresh PostgreSQL database, the production build of the frontend
// (`next start`) and the Tasks API binary, both on that database, and headless Chromium.

import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync } from "node:fs";
import { basename, join } from "node:path";
import pg from "pg";
import { chromium } from "playwright-core";
import { API_BIN, FRONTEND, OUTPUT_DIR } from "./paths.mjs";
import { freePort, startProcess, waitForStatus } from "./processes.mjs";

const ADMIN_URL = process.env.TEST_DATABASE_URL || "postgres://postgres@127.0.0.1:5432/postgres";
/** Log files are named after the test file that runs (`node --test` runs each in its own process). */
const LOG_PREFIX = basename(process.argv[1] ?? "run", ".test.mjs");

// The flags the repository's other browser test uses: no sandbox (root in CI), no GPU, and
// no traffic of the browser's own.
export const CHROMIUM_ARGS = [
  "--no-sandbox",
  "--disable-gpu",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--no-first-run",
  "--disable-quic",
];

async function adminQuery(sql) {
  const client = new pg.Client({ connectionString: ADMIN_URL, connectionTimeoutMillis: 5_000 });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

/** A uniquely named database; `drop()` removes it (WITH (FORCE): connections may remain). */
async function createTestDatabase(prefix) {
  const name = `${prefix}_${process.pid}_${randomBytes(4).toString("hex")}`;
  await adminQuery(`CREATE DATABASE "${name}"`);
  const url = new URL(ADMIN_URL);
  url.pathname = `/${name}`;
  return { name, url: url.toString(), drop: () => adminQuery(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`) };
}

/**
 * `next start` on the build in .next/, as http://localhost:PORT (the origin Better Auth puts
 * in `iss`/`aud`); resolves once Better Auth's migrations have run and the JWKS answers.
 */
async function startFrontend({ databaseUrl, secret }) {
  if (!existsSync(join(FRONTEND, ".next", "BUILD_ID"))) {
    throw new Error("frontend/.next is missing: run `npm run build` first (scripts/test-frontend.sh does)");
  }
  const port = await freePort();
  const url = `http://localhost:${port}`;
  const proc = startProcess(`${LOG_PREFIX}-next`, join(FRONTEND, "node_modules/.bin/next"), ["start", "-p", String(port)], {
    cwd: FRONTEND,
    env: { DATABASE_URL: databaseUrl, BETTER_AUTH_SECRET: secret, BETTER_AUTH_URL: url, NODE_ENV: "production" },
  });
  try {
    await waitForStatus(`${url}/api/auth/jwks`, 200, 90_000);
  } catch (error) {
    await proc.stop();
    throw error;
  }
  return { url, stop: proc.stop };
}

/**
 * The Tasks API on 127.0.0.1:`port`: the port the frontend was built for
 * (NEXT_PUBLIC_API_URL), with `extraEnv` on top. Resolves once /ready is 200 (database up,
 * JWKS fetched).
 */
async function startApi({ port, databaseUrl, frontendUrl, extraEnv = {} }) {
  if (!existsSync(API_BIN)) throw new Error(`${API_BIN} is missing: run \`cargo build -p tasks-server\``);
  const cwd = join(OUTPUT_DIR, "api-cwd");
  mkdirSync(cwd, { recursive: true });
  const proc = startProcess(`${LOG_PREFIX}-api`, API_BIN, [], {
    cwd,
    env: {
      HOST: "127.0.0.1",
      PORT: String(port),
      DATABASE_URL: databaseUrl,
      BETTER_AUTH_URL: frontendUrl,
      CORS_ORIGINS: frontendUrl,
      RUST_LOG: "info",
      APP__SERVER__WORKERS: "2",
      APP__SERVER__SHUTDOWN_TIMEOUT_SECS: "2",
      APP__METRICS__PORT: "0",
      ...extraEnv,
    },
  });
  const url = `http://127.0.0.1:${port}`;
  try {
    await waitForStatus(`${url}/ready`, 200, 90_000);
  } catch (error) {
    await proc.stop();
    throw error;
  }
  return { url, stop: proc.stop };
}

export function launchBrowser() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM_PATH || "/usr/bin/chromium",
    headless: true,
    args: CHROMIUM_ARGS,
    timeout: 60_000,
  });
}

/**
 * The whole system on a fresh database, with the API on the port the frontend was built
 * for: `restartApi(extraEnv)` starts it again with other settings; `stop()` ends it all.
 */
export async function startSystem(databasePrefix) {
  const apiUrl = new URL(process.env.NEXT_PUBLIC_API_URL || "http://invalid");
  if (apiUrl.hostname !== "127.0.0.1") {
    throw new Error("NEXT_PUBLIC_API_URL must be the http://127.0.0.1:PORT the build was made for");
  }
  const port = Number(apiUrl.port);
  const system = {};
  system.stop = async () => {
    await system.browser?.close();
    await system.api?.stop();
    await system.frontend?.stop();
    await system.db?.drop();
  };
  try {
    system.db = await createTestDatabase(databasePrefix);
    system.frontend = await startFrontend({ databaseUrl: system.db.url, secret: randomBytes(32).toString("base64url") });
    const apiOptions = { port, databaseUrl: system.db.url, frontendUrl: system.frontend.url };
    system.api = await startApi(apiOptions);
    system.restartApi = async (extraEnv = {}) => {
      await system.api.stop();
      system.api = await startApi({ ...apiOptions, extraEnv });
    };
    system.browser = await launchBrowser();
  } catch (error) {
    await system.stop();
    throw error;
  }
  return system;
}

/** Desktop and phone-width screenshots, kept in test-output/screenshots/. */
export async function screenshots(page, name) {
  const dir = join(OUTPUT_DIR, "screenshots");
  mkdirSync(dir, { recursive: true });
  const original = page.viewportSize();
  for (const [label, viewport] of [
    ["desktop", { width: 1280, height: 900 }],
    ["phone", { width: 390, height: 844 }],
  ]) {
    await page.setViewportSize(viewport);
    await page.screenshot({ path: join(dir, `${name}-${label}.png`), fullPage: true });
  }
  await page.setViewportSize(original);
}
