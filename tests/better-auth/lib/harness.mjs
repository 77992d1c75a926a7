// Shared plumbing of the Node end-to-end tests: throwaway PostgreSQL databases, the Better
// Auth server (auth-server.mjs) and the Tasks API binary as child processes, and small HTTP
// helpers. Everything listens on and talks to loopback addresses only, every wait is
// bounded, and every process and database is cleaned up, on failure too.

import { spawn } from "node:child_process";
import { createHmac, randomBytes } from "node:crypto";
import { createWriteStream, existsSync, mkdirSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { hostname } from "node:os";
import pg from "pg";

export const HERE = resolve(dirname(fileURLToPath(import.meta.url)), "..");
export const REPO = resolve(HERE, "../..");
export const OUTPUT_DIR = join(REPO, "tests/output");
export const API_BIN = process.env.TASKS_API_BIN || join(REPO, "target/debug/tasks-api");
const ADMIN_URL =
  process.env.TEST_DATABASE_URL || "postgres://postgres@127.0.0.1:5432/postgres";

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
export const randomSecret = () => randomBytes(32).toString("base64url");

// ---------------------------------------------------------------------------------------
// Processes: every child is registered so that it is killed even when the test runner
// tears the file down on a timeout or an uncaught error.

const liveChildren = new Set();
function killChildren() {
  for (const child of liveChildren) {
    try {
      child.kill("SIGKILL");
    } catch {}
  }
}
// Databases not dropped yet: on an interruption they are dropped before the process exits.
const liveDatabases = new Set();
process.on("exit", killChildren);
for (const signal of ["SIGINT", "SIGTERM"]) {
  process.once(signal, async () => {
    killChildren();
    const drops = [...liveDatabases].map((db) => db.drop().catch(() => {}));
    await Promise.race([Promise.all(drops), sleep(5_000)]);
    process.exit(128 + (signal === "SIGINT" ? 2 : 15));
  });
}

function logFile(name) {
  mkdirSync(join(OUTPUT_DIR, "logs"), { recursive: true });
  return createWriteStream(join(OUTPUT_DIR, "logs", `${name}.log`));
}

/** Spawns a process whose output goes to tests/output/logs/NAME.log and to a tail buffer. */
function spawnLogged(name, command, args, { env, cwd }) {
  const child = spawn(command, args, { env, cwd, stdio: ["pipe", "pipe", "pipe"] });
  liveChildren.add(child);
  const log = logFile(name);
  const tail = [];
  const lineListeners = new Set();
  const exited = new Promise((resolve) => {
    child.once("exit", (code, signal) => {
      liveChildren.delete(child);
      resolve({ code, signal });
    });
  });
  for (const stream of [child.stdout, child.stderr]) {
    let pending = "";
    stream.setEncoding("utf8");
    stream.on("data", (chunk) => {
      log.write(chunk);
      pending += chunk;
      const lines = pending.split("\n");
      pending = lines.pop();
      for (const line of lines) {
        tail.push(line);
        if (tail.length > 60) tail.shift();
        for (const listener of lineListeners) listener(line);
      }
    });
  }
  child.stdin.on("error", () => {});
  exited.then(() => log.end());

  /** Resolves with the first line matching `pattern`; rejects on exit or after `ms`. */
  function waitForLine(pattern, ms) {
    return new Promise((resolvePromise, reject) => {
      const done = (fn, value) => {
        clearTimeout(timer);
        lineListeners.delete(onLine);
        fn(value);
      };
      const onLine = (line) => {
        const match = line.match(pattern);
        if (match) done(resolvePromise, match);
      };
      const timer = setTimeout(
        () => done(reject, new Error(`${name}: no line matching ${pattern} within ${ms} ms\n${tailText()}`)),
        ms,
      );
      for (const line of tail) {
        const match = line.match(pattern);
        if (match) return done(resolvePromise, match);
      }
      lineListeners.add(onLine);
      exited.then(({ code, signal }) =>
        done(reject, new Error(`${name} exited (code ${code}, signal ${signal})\n${tailText()}`)),
      );
    });
  }
  const tailText = () => `--- last lines of ${name} ---\n${tail.join("\n")}`;

  /** SIGTERM, then SIGKILL after `graceMs`; resolves when the process is gone. */
  async function stop(graceMs = 5000) {
    if (child.exitCode !== null || child.signalCode !== null) return exited;
    child.kill("SIGTERM");
    const timer = setTimeout(() => child.kill("SIGKILL"), graceMs);
    const result = await exited;
    clearTimeout(timer);
    return result;
  }
  const onLine = (listener) => lineListeners.add(listener);
  return { child, waitForLine, onLine, stop, exited, tailText };
}

/** A clean environment: the child sees only what the test gives it (no stray .env, no user settings). */
function cleanEnv(extra) {
  return { PATH: process.env.PATH, HOME: process.env.HOME || "/tmp", ...extra };
}

// ---------------------------------------------------------------------------------------
// PostgreSQL

export async function adminQuery(sql, params = []) {
  const client = new pg.Client({ connectionString: ADMIN_URL, connectionTimeoutMillis: 5000 });
  await client.connect();
  try {
    return await client.query(sql, params);
  } finally {
    await client.end();
  }
}

/**
 * CREATE DATABASE with a unique name; `drop()` is idempotent (DROP … WITH (FORCE)). Named
 * and commented as the Rust tests' databases are (crates/store-postgres/src/testing.rs), so
 * their sweep drops it once this process is gone, even if it was killed.
 */
export async function createTestDatabase(label) {
  const seconds = Math.floor(Date.now() / 1000);
  const suffix = `${label}_${randomBytes(4).toString("hex")}`.toLowerCase();
  const name = `tasks_test_${seconds}_${process.pid}_${suffix}`;
  if (!/^[a-z0-9_]+$/.test(name)) throw new Error(`bad database name ${name}`);
  await adminQuery(`CREATE DATABASE "${name}"`);
  await adminQuery(`COMMENT ON DATABASE "${name}" IS 'tasks-test owner ${hostname()} ${process.pid}'`);
  const url = new URL(ADMIN_URL);
  url.pathname = `/${name}`;
  const db = {
    name,
    url: url.toString(),
    async query(sql, params = []) {
      const client = new pg.Client({ connectionString: db.url, connectionTimeoutMillis: 5000 });
      await client.connect();
      try {
        return await client.query(sql, params);
      } finally {
        await client.end();
      }
    },
    async drop() {
      await adminQuery(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
      liveDatabases.delete(db);
    },
  };
  liveDatabases.add(db);
  return db;
}

// ---------------------------------------------------------------------------------------
// Better Auth

const AUTH_SERVER = join(HERE, "auth-server.mjs");

function authEnv(db, secret, options) {
  const env = cleanEnv({ DATABASE_URL: db.url, BETTER_AUTH_SECRET: secret });
  if (options.alg) env.BA_ALG = options.alg;
  if (options.host) env.BA_HOST = options.host;
  if (options.rotationInterval) env.BA_ROTATION_INTERVAL = String(options.rotationInterval);
  if (options.gracePeriod) env.BA_GRACE_PERIOD = String(options.gracePeriod);
  if (options.trustedOrigins) env.BA_TRUSTED_ORIGINS = options.trustedOrigins.join(",");
  if (options.staticDir) env.BA_STATIC_DIR = options.staticDir;
  return env;
}

/**
 * Runs Better Auth's own migrations (getMigrations + runMigrations) in a one-shot process and
 * returns its plan: `{created: [tables], added: [tables]}`.
 */
export async function migrateBetterAuth(name, db, secret, options = {}) {
  const env = { ...authEnv(db, secret, options), BA_MIGRATE: "only" };
  const proc = spawnLogged(name, process.execPath, [AUTH_SERVER], { env, cwd: HERE });
  try {
    const [, json] = await proc.waitForLine(/^(\{"event":"migrated".*)$/, 30_000);
    return JSON.parse(json).migration;
  } finally {
    await proc.stop();
  }
}

/** Starts the Better Auth server; resolves once it accepts requests. */
export async function startBetterAuth(name, db, secret, options = {}) {
  const env = authEnv(db, secret, options);
  const proc = spawnLogged(name, process.execPath, [AUTH_SERVER], { env, cwd: HERE });
  try {
    let jwksFetches = 0;
    proc.onLine((line) => {
      if (line.startsWith('{"event":"jwks","search":""')) jwksFetches += 1;
    });
    const [, json] = await proc.waitForLine(/^(\{"event":"listening".*)$/, 30_000);
    const info = JSON.parse(json);
    let markers = 0;
    /**
     * How many times others (our API) fetched the JWKS so far. A marker request of our own
     * goes through the server after theirs, so its line comes after theirs.
     */
    async function jwksFetchesSoFar() {
      markers += 1;
      await fetch(`${info.baseURL}/api/auth/jwks?marker=${markers}`);
      await proc.waitForLine(new RegExp(`"search":"\\?marker=${markers}"`), 10_000);
      return jwksFetches;
    }
    return { ...info, jwksFetchesSoFar, stop: proc.stop, tailText: proc.tailText };
  } catch (error) {
    await proc.stop();
    throw error;
  }
}

function cookieHeader(response, previous = "") {
  const jar = new Map(
    previous
      .split("; ")
      .filter(Boolean)
      .map((pair) => [pair.slice(0, pair.indexOf("=")), pair]),
  );
  for (const setCookie of response.headers.getSetCookie()) {
    const pair = setCookie.split(";")[0];
    jar.set(pair.slice(0, pair.indexOf("=")), pair);
  }
  return [...jar.values()].join("; ");
}

/** POST /api/auth/sign-up/email; returns the user id and the session cookie. */
export async function signUp(baseURL, { email, password, name }) {
  const response = await fetch(`${baseURL}/api/auth/sign-up/email`, {
    method: "POST",
    headers: { "content-type": "application/json", origin: baseURL },
    body: JSON.stringify({ email, password, name }),
    signal: AbortSignal.timeout(15_000),
  });
  const body = await response.json().catch(() => null);
  if (response.status !== 200) {
    throw new Error(`sign-up ${email}: ${response.status} ${JSON.stringify(body)}`);
  }
  return { userId: body.user.id, cookie: cookieHeader(response) };
}

/** GET /api/auth/token with the session cookie: the JWT the browser would get. */
export async function getJwt(baseURL, cookie) {
  const response = await fetch(`${baseURL}/api/auth/token`, {
    headers: { cookie, origin: baseURL },
    signal: AbortSignal.timeout(15_000),
  });
  const body = await response.json().catch(() => null);
  if (response.status !== 200 || typeof body?.token !== "string") {
    throw new Error(`GET /api/auth/token: ${response.status} ${JSON.stringify(body)}`);
  }
  return body.token;
}

export async function getJwks(baseURL) {
  const response = await fetch(`${baseURL}/api/auth/jwks`, { signal: AbortSignal.timeout(15_000) });
  if (response.status !== 200) throw new Error(`GET /api/auth/jwks: ${response.status}`);
  return response.json();
}

export function decodeJwt(token) {
  const [header, payload] = token.split(".").slice(0, 2).map((part) => JSON.parse(Buffer.from(part, "base64url")));
  return { header, payload };
}

/** An HS256 JWT signed with `secret` (the seed's shared-secret design). */
export function mintHs256(claims, secret) {
  const encode = (value) => Buffer.from(JSON.stringify(value)).toString("base64url");
  const input = `${encode({ alg: "HS256", typ: "JWT" })}.${encode(claims)}`;
  return `${input}.${createHmac("sha256", secret).update(input).digest("base64url")}`;
}

/** The token with one base64url character changed at `index` (negative = from the end). */
export function changeOneCharacter(token, index) {
  const i = index < 0 ? token.length + index : index;
  const replacement = token[i] === "A" ? "B" : "A";
  return token.slice(0, i) + replacement + token.slice(i + 1);
}

// ---------------------------------------------------------------------------------------
// The Tasks API

/**
 * Starts target/debug/tasks-api with exactly `env` (plus PATH/HOME) in an empty working
 * directory, on 127.0.0.1 and a random port. Resolves with its base URL once it listens;
 * with `waitReady`, once GET /ready is 200 (the database answers and a JWKS fetch succeeded).
 */
export async function startApi(name, env, { waitReady = true } = {}) {
  if (!existsSync(API_BIN)) {
    throw new Error(`${API_BIN} is missing: run \`cargo build -p tasks-server\` first`);
  }
  const cwd = join(OUTPUT_DIR, "api-cwd");
  mkdirSync(cwd, { recursive: true });
  const spawnedAt = Date.now();
  const proc = spawnLogged(name, API_BIN, [], {
    env: cleanEnv({
      HOST: "127.0.0.1",
      PORT: "0",
      RUST_LOG: "info",
      APP__SERVER__WORKERS: "2",
      APP__SERVER__SHUTDOWN_TIMEOUT_SECS: "2",
      APP__METRICS__PORT: "0",
      ...env,
    }),
    cwd,
  });
  try {
    const [, port] = await proc.waitForLine(/listening port=(\d+)/, 60_000);
    const url = `http://127.0.0.1:${port}`;
    let readyAt = null;
    if (waitReady) {
      const deadline = Date.now() + 30_000;
      for (;;) {
        const response = await fetch(`${url}/ready`, { signal: AbortSignal.timeout(5_000) }).catch(() => null);
        if (response?.status === 200) break;
        const body = response ? await response.text() : "no response";
        if (Date.now() > deadline) throw new Error(`${name}: /ready not 200 within 30 s: ${body}\n${proc.tailText()}`);
        await sleep(200);
      }
      readyAt = Date.now();
    }
    return { url, port: Number(port), spawnedAt, readyAt, stop: proc.stop, tailText: proc.tailText };
  } catch (error) {
    await proc.stop();
    throw error;
  }
}

/** One request to the Tasks API; resolves with status, headers and the parsed JSON body. */
export async function call(base, method, path, { token, body, headers = {} } = {}) {
  const init = { method, headers: { ...headers }, signal: AbortSignal.timeout(15_000) };
  if (token) init.headers.authorization = `Bearer ${token}`;
  if (body !== undefined) {
    init.headers["content-type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  const response = await fetch(`${base}${path}`, init);
  const text = await response.text();
  let json = null;
  try {
    json = text ? JSON.parse(text) : null;
  } catch {}
  return { status: response.status, headers: response.headers, json, text };
}

/** Runs the async cleanups in reverse order, all of them, even when some fail. */
export function cleanupStack() {
  const steps = [];
  return {
    push(fn) {
      steps.push(fn);
    },
    async run() {
      const errors = [];
      while (steps.length) {
        try {
          await steps.pop()();
        } catch (error) {
          errors.push(error);
        }
      }
      if (errors.length) throw errors[0];
    },
  };
}
