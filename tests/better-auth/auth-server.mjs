// A stock Better Auth server for the end-to-end tests: the `jwt()` plugin and
// `emailAndPassword`, its tables in PostgreSQL through `pg`, as the seed's frontend runs it.
//
// Configured by environment variables (the test harness sets them):
//   DATABASE_URL        PostgreSQL URL (required)
//   BETTER_AUTH_SECRET  Better Auth's own secret (required; encrypts the JWKS private keys)
//   BA_HOST             host name used in the base URL: 127.0.0.1 (default) or localhost
//   BA_ALG              jwks.keyPairConfig.alg; unset = Better Auth's default (EdDSA, Ed25519)
//   BA_ROTATION_INTERVAL, BA_GRACE_PERIOD   jwks.rotationInterval / jwks.gracePeriod, seconds
//   BA_TRUSTED_ORIGINS  comma-separated extra trustedOrigins (the browser page's origin)
//   BA_MIGRATE=only     run Better Auth's own migrations (getMigrations + runMigrations),
//                       print {"event":"migrated","migration":{...}} and exit
//   BA_STATIC_DIR       serve index.html and app.js from this folder at / and /app.js
//
// It always listens on 127.0.0.1 with a random port, and prints one JSON line
// {"event":"listening","baseURL":...,"port":...} once it accepts requests, and one
// {"event":"jwks","search":...} for every request of its JWKS.
// It exits when its standard input closes, so it never outlives the test that started it.

import { createServer } from "node:http";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { Pool } from "pg";
import { betterAuth } from "better-auth";
import { jwt } from "better-auth/plugins";
import { toNodeHandler } from "better-auth/node";
import { getMigrations } from "better-auth/db/migration";

const env = process.env;
if (!env.DATABASE_URL || !env.BETTER_AUTH_SECRET) {
  console.error("auth-server: DATABASE_URL and BETTER_AUTH_SECRET are required");
  process.exit(2);
}

process.stdin.resume();
process.stdin.on("end", () => process.exit(0));
process.stdin.on("error", () => process.exit(0));

const server = createServer();
await new Promise((resolve, reject) => {
  server.once("error", reject);
  server.listen(0, "127.0.0.1", resolve);
});
const port = server.address().port;
// Better Auth puts this exact string in `iss` and `aud`; the tests pass the same string to
// the Tasks API as BETTER_AUTH_URL.
const baseURL = `http://${env.BA_HOST || "127.0.0.1"}:${port}`;

const jwks = {};
if (env.BA_ALG) jwks.keyPairConfig = { alg: env.BA_ALG };
if (env.BA_ROTATION_INTERVAL) jwks.rotationInterval = Number(env.BA_ROTATION_INTERVAL);
if (env.BA_GRACE_PERIOD) jwks.gracePeriod = Number(env.BA_GRACE_PERIOD);

const pool = new Pool({ connectionString: env.DATABASE_URL, max: 5 });
const options = {
  baseURL,
  secret: env.BETTER_AUTH_SECRET,
  database: pool,
  emailAndPassword: { enabled: true },
  plugins: [jwt({ jwks })],
  // Its own origin (trusted anyway) and the browser page's.
  trustedOrigins: [new URL(baseURL).origin, ...(env.BA_TRUSTED_ORIGINS || "").split(",").filter(Boolean)],
  telemetry: { enabled: false },
  rateLimit: { enabled: false },
};

if (env.BA_MIGRATE === "only") {
  // What `npx @better-auth/cli migrate` does: diff Better Auth's schema (core tables plus
  // the jwt plugin's `jwks`) against the database and create what is missing.
  const plan = await getMigrations(options);
  const migration = {
    created: plan.toBeCreated.map((t) => t.table),
    added: plan.toBeAdded.map((t) => ({ table: t.table, fields: Object.keys(t.fields) })),
    indexes: plan.toBeAddedIndexes.map((i) => i.name),
  };
  await plan.runMigrations();
  await pool.end();
  console.log(JSON.stringify({ event: "migrated", migration }));
  process.exit(0);
}

const auth = betterAuth(options);
const authHandler = toNodeHandler(auth);

const staticFiles = {
  "/": ["index.html", "text/html; charset=utf-8"],
  "/index.html": ["index.html", "text/html; charset=utf-8"],
  "/app.js": ["app.js", "text/javascript; charset=utf-8"],
};

server.on("request", async (req, res) => {
  const { pathname: path, search } = new URL(req.url, baseURL);
  // The tests count JWKS fetches (the API's refresh cool-down) from these lines.
  if (path === "/api/auth/jwks") console.log(JSON.stringify({ event: "jwks", search }));
  const file = env.BA_STATIC_DIR && req.method === "GET" && staticFiles[path];
  if (file) {
    try {
      const body = await readFile(join(env.BA_STATIC_DIR, file[0]));
      res.writeHead(200, { "content-type": file[1], "cache-control": "no-store" });
      res.end(body);
    } catch (error) {
      res.writeHead(500, { "content-type": "text/plain" });
      res.end(String(error));
    }
    return;
  }
  if (path === "/favicon.ico") {
    res.writeHead(204);
    res.end();
    return;
  }
  authHandler(req, res).catch((error) => {
    console.error("auth-server: handler failed", error);
    if (!res.headersSent) res.writeHead(500);
    res.end();
  });
});

process.on("SIGTERM", () => {
  server.close();
  server.closeAllConnections?.();
  pool.end().finally(() => process.exit(0));
});

console.log(JSON.stringify({ event: "listening", baseURL, port }));
