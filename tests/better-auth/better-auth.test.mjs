// The Tasks API against a real Better Auth server (the `better-auth` npm package with its
// `jwt()` plugin and `emailAndPassword`), both storing their tables in one fresh PostgreSQL
// database as in production, for each key type Better Auth can sign with.
//
// Per key type: Better Auth's own migrations, then ours (the service's startup) — both
// schemas side by side, neither touching the other's tables; users sign up over HTTP and get
// their JWT from GET /api/auth/token; create and list work, another user's path is 403, a
// token with one changed character is 401; our service restarting (re-running its
// migrations) leaves Better Auth's rows alone; and after Better Auth rotates its key
// (`jwks.rotationInterval`, lazy: the next signing after the key expires mints a new one),
// new tokens work — after the contract's 30 s unknown-kid cool-down — and old ones still do
// while the old key is in its grace period.
//
// Run: node --test better-auth.test.mjs  (needs PostgreSQL on 127.0.0.1:5432 and
// target/debug/tasks-api; scripts/test-node.sh does all of it).

import assert from "node:assert/strict";
import { after, describe, it } from "node:test";
import {
  call,
  changeOneCharacter,
  cleanupStack,
  createTestDatabase,
  decodeJwt,
  getJwks,
  getJwt,
  migrateBetterAuth,
  randomSecret,
  signUp,
  sleep,
  startApi,
  startBetterAuth,
} from "./lib/harness.mjs";

const KEY_TYPES = [
  { label: "EdDSA (Ed25519, Better Auth's default)", alg: undefined, jwsAlg: "EdDSA", kty: "OKP", crv: "Ed25519" },
  { label: "ES256", alg: "ES256", jwsAlg: "ES256", kty: "EC", crv: "P-256" },
  { label: "ES512", alg: "ES512", jwsAlg: "ES512", kty: "EC", crv: "P-521" },
  { label: "RS256", alg: "RS256", jwsAlg: "RS256", kty: "RSA" },
  { label: "PS256", alg: "PS256", jwsAlg: "PS256", kty: "RSA" },
];

// Better Auth's key lifetime: long enough for the checks before the rotation, short enough
// to keep the run brief. The grace period keeps a rotated key in the JWKS.
const ROTATION_INTERVAL_S = 20;
const GRACE_PERIOD_S = 3600;
// The contract's least time between two JWKS fetches asked for by unknown kids.
const UNKNOWN_KID_COOLDOWN_MS = 30_000;

const BETTER_AUTH_TABLES = ["account", "jwks", "session", "user", "verification"];
const FORBIDDEN = { detail: "Not authorized to access this resource" };

// Every database is dropped here too, in case a test was cut short before its own cleanup.
const databases = new Set();
after(async () => {
  for (const db of databases) await db.drop().catch(() => {});
});

async function publicTables(db) {
  const { rows } = await db.query(
    "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' ORDER BY 1",
  );
  return rows.map((r) => r.table_name);
}

/** Columns and indexes of `tables`: what a migration would change. */
async function schemaOf(db, tables) {
  const columns = await db.query(
    `SELECT table_name, column_name, data_type, is_nullable, column_default
       FROM information_schema.columns
      WHERE table_schema = 'public' AND table_name = ANY($1) ORDER BY 1, 2`,
    [tables],
  );
  const indexes = await db.query(
    "SELECT tablename, indexname, indexdef FROM pg_indexes WHERE schemaname = 'public' AND tablename = ANY($1) ORDER BY 1, 2",
    [tables],
  );
  return { columns: columns.rows, indexes: indexes.rows };
}

/** Every row of `tables`, as JSON, in a stable order. */
async function rowsOf(db, tables) {
  const snapshot = {};
  for (const table of tables) {
    const { rows } = await db.query(`SELECT to_jsonb(t) AS row FROM "${table}" t`);
    snapshot[table] = rows.map((r) => JSON.stringify(r.row)).sort();
  }
  return snapshot;
}

/** `token` with its header's `kid` replaced (the signature no longer matters). */
function withKid(token, kid) {
  const [, payload, signature] = token.split(".");
  const header = Buffer.from(JSON.stringify({ ...decodeJwt(token).header, kid })).toString("base64url");
  return `${header}.${payload}.${signature}`;
}

async function sleepUntil(timestamp) {
  const wait = timestamp - Date.now();
  if (wait > 0) await sleep(wait);
}

describe("Tasks API with a real Better Auth server", { concurrency: true }, () => {
  for (const keyType of KEY_TYPES) {
    it(`${keyType.label}: sign-up, token, CRUD, 403, 401, shared database, key rotation`, { timeout: 180_000 }, async (t) => {
      const cleanup = cleanupStack();
      const slug = (keyType.alg || "eddsa").toLowerCase();
      let betterAuth;
      let api;
      try {
        // --- one fresh database for both schemas
        const db = await createTestDatabase(`ba_${slug}`);
        databases.add(db);
        cleanup.push(() => db.drop());
        const secret = randomSecret();
        const baOptions = {
          alg: keyType.alg,
          rotationInterval: ROTATION_INTERVAL_S,
          gracePeriod: GRACE_PERIOD_S,
        };

        // --- Better Auth's migrations first, on the empty database
        const firstPlan = await migrateBetterAuth(`ba-${slug}-migrate-1`, db, secret, baOptions);
        assert.deepEqual([...firstPlan.created].sort(), BETTER_AUTH_TABLES, "Better Auth's first migration creates its five tables");
        assert.deepEqual(await publicTables(db), BETTER_AUTH_TABLES);
        const baSchema = await schemaOf(db, BETTER_AUTH_TABLES);

        betterAuth = await startBetterAuth(`ba-${slug}`, db, secret, baOptions);
        cleanup.push(() => betterAuth.stop());
        const baseURL = betterAuth.baseURL;
        t.diagnostic(`Better Auth at ${baseURL}, database ${db.name}`);

        const alice = await signUp(baseURL, { email: `alice-${slug}@example.com`, password: "alice-correct-horse", name: "Alice" });
        const bob = await signUp(baseURL, { email: `bob-${slug}@example.com`, password: "bob-battery-staple", name: "Bob" });

        // --- our service: BETTER_AUTH_URL is exactly Better Auth's baseURL (its iss and aud)
        const apiEnv = { DATABASE_URL: db.url, BETTER_AUTH_URL: baseURL };
        api = await startApi(`api-${slug}`, apiEnv);
        cleanup.push(() => api?.stop());

        // Both schemas side by side; ours did not touch Better Auth's.
        const tables = await publicTables(db);
        for (const table of [...BETTER_AUTH_TABLES, "tasks"]) assert.ok(tables.includes(table), `table ${table} exists (have ${tables})`);
        assert.deepEqual(await schemaOf(db, BETTER_AUTH_TABLES), baSchema, "our migrations leave Better Auth's tables unchanged");

        // --- tokens as the browser gets them
        const [firstKey] = (await db.query('SELECT id, "expiresAt" FROM jwks')).rows;
        assert.ok(firstKey, "Better Auth minted a key when our service fetched its JWKS");
        const aliceToken = await getJwt(baseURL, alice.cookie);
        const bobToken = await getJwt(baseURL, bob.cookie);
        const { header, payload } = decodeJwt(aliceToken);
        assert.equal(header.alg, keyType.jwsAlg);
        assert.equal(header.kid, firstKey.id, "signed with the first key (it must not have expired yet: slow machine?)");
        assert.equal(payload.sub, alice.userId);
        assert.equal(payload.iss, baseURL);
        assert.equal(payload.aud, baseURL);
        const jwks = await getJwks(baseURL);
        const jwk = jwks.keys.find((k) => k.kid === header.kid);
        assert.equal(jwk?.kty, keyType.kty);
        if (keyType.crv) assert.equal(jwk.crv, keyType.crv);

        // --- create and list
        const created = await call(api.url, "POST", `/api/${alice.userId}/tasks`, { token: aliceToken, body: { title: `Alice's ${slug} task` } });
        assert.equal(created.status, 201, created.text);
        assert.equal(created.json.user_id, alice.userId);
        assert.equal(created.headers.get("location"), `/api/${alice.userId}/tasks/${created.json.id}`);
        const listed = await call(api.url, "GET", `/api/${alice.userId}/tasks`, { token: aliceToken });
        assert.equal(listed.status, 200, listed.text);
        assert.deepEqual(listed.json.map((task) => task.id), [created.json.id]);
        assert.equal(listed.headers.get("x-total-count"), "1");

        const bobCreated = await call(api.url, "POST", `/api/${bob.userId}/tasks`, { token: bobToken, body: { title: "Bob's task" } });
        assert.equal(bobCreated.status, 201, bobCreated.text);

        // --- the same token on another user's path: 403, whatever the method
        for (const [method, path, body] of [
          ["GET", `/api/${bob.userId}/tasks`],
          ["POST", `/api/${bob.userId}/tasks`, { title: "not mine" }],
          ["GET", `/api/${bob.userId}/tasks/${bobCreated.json.id}`],
          ["DELETE", `/api/${bob.userId}/tasks/${bobCreated.json.id}`],
        ]) {
          const response = await call(api.url, method, path, { token: aliceToken, body });
          assert.equal(response.status, 403, `${method} ${path} with Alice's token: ${response.text}`);
          assert.deepEqual(response.json, FORBIDDEN);
        }
        const bobList = await call(api.url, "GET", `/api/${bob.userId}/tasks`, { token: bobToken });
        assert.deepEqual(bobList.json.map((task) => task.title), ["Bob's task"], "Bob's tasks are untouched");

        // --- one changed character: in the signature, then in the payload
        const [head, body] = aliceToken.split(".");
        const signatureMiddle = head.length + body.length + 2 + 10;
        for (const [where, index] of [["signature", signatureMiddle], ["payload", head.length + 1 + 20]]) {
          const tampered = changeOneCharacter(aliceToken, index);
          assert.notEqual(tampered, aliceToken);
          const response = await call(api.url, "GET", `/api/${alice.userId}/tasks`, { token: tampered });
          assert.equal(response.status, 401, `token with a changed ${where} character: ${response.text}`);
          assert.equal(typeof response.json?.detail, "string");
          assert.match(response.headers.get("www-authenticate") || "", /^Bearer realm="api", error="invalid_token"/);
        }

        // --- Better Auth's migrations again, now that `tasks` exists: nothing to do, and
        // our table and rows stay as they are.
        const tasksSchema = await schemaOf(db, ["tasks"]);
        const tasksRows = await rowsOf(db, ["tasks"]);
        const secondPlan = await migrateBetterAuth(`ba-${slug}-migrate-2`, db, secret, baOptions);
        assert.deepEqual(secondPlan, { created: [], added: [], indexes: [] }, "Better Auth's second migration has nothing to do");
        assert.deepEqual(await schemaOf(db, ["tasks"]), tasksSchema, "Better Auth's migrations leave `tasks` unchanged");
        assert.deepEqual(await rowsOf(db, ["tasks"]), tasksRows);

        // --- our service starting again re-runs its migrations: Better Auth's rows intact
        const baRows = await rowsOf(db, BETTER_AUTH_TABLES);
        assert.equal(baRows.user.length, 2);
        assert.ok(baRows.session.length >= 2 && baRows.account.length === 2 && baRows.jwks.length === 1);
        await api.stop();
        api = await startApi(`api-${slug}-restarted`, apiEnv);
        assert.deepEqual(await rowsOf(db, BETTER_AUTH_TABLES), baRows, "restarting our service leaves Better Auth's rows intact");
        assert.deepEqual(await schemaOf(db, BETTER_AUTH_TABLES), baSchema);
        const relisted = await call(api.url, "GET", `/api/${alice.userId}/tasks`, { token: aliceToken });
        assert.equal(relisted.status, 200, relisted.text);
        assert.deepEqual(relisted.json, listed.json, "the tasks survive the restart");

        // Within the cool-down after the restarted service's first JWKS fetch, a kid it does
        // not know is 401 at once, without a fetch (contract §1): counted at Better Auth.
        const fetchesBefore = await betterAuth.jwksFetchesSoFar();
        const unknownKidToken = withKid(aliceToken, "not-published");
        const early = await call(api.url, "GET", `/api/${alice.userId}/tasks`, { token: unknownKidToken });
        assert.ok(Date.now() < api.spawnedAt + UNKNOWN_KID_COOLDOWN_MS, "checked within the cool-down (a generous bound)");
        assert.equal(early.status, 401, `unknown kid during the cool-down: ${early.text}`);
        assert.equal(await betterAuth.jwksFetchesSoFar(), fetchesBefore, "no JWKS fetch during the cool-down");

        // --- key rotation: once the first key's rotation interval is over, the next signing
        // mints a new key (lazily), and the old one stays in the JWKS for the grace period.
        await sleepUntil(new Date(firstKey.expiresAt).getTime() + 500);
        const rotatedToken = await getJwt(baseURL, alice.cookie);
        const rotatedKid = decodeJwt(rotatedToken).header.kid;
        // A new user's token, minted now (the rotated key expires in turn later).
        const carol = await signUp(baseURL, { email: `carol-${slug}@example.com`, password: "carol-purple-monkey", name: "Carol" });
        const carolToken = await getJwt(baseURL, carol.cookie);
        assert.equal(decodeJwt(carolToken).header.kid, rotatedKid);
        assert.notEqual(rotatedKid, firstKey.id, "Better Auth signed with a new key after rotation");
        assert.equal(decodeJwt(rotatedToken).header.alg, keyType.jwsAlg);
        const rotatedJwks = await getJwks(baseURL);
        assert.deepEqual(rotatedJwks.keys.map((k) => k.kid).sort(), [firstKey.id, rotatedKid].sort(), "both keys are published");

        // After the cool-down, the new kid triggers a refresh and the token works.
        await sleepUntil(api.readyAt + UNKNOWN_KID_COOLDOWN_MS + 1_000);
        const fetchesBeforeRotation = await betterAuth.jwksFetchesSoFar();
        const afterRotation = await call(api.url, "POST", `/api/${alice.userId}/tasks`, { token: rotatedToken, body: { title: "after rotation" } });
        assert.equal(afterRotation.status, 201, `token signed with the rotated key: ${afterRotation.text}`);
        assert.equal(await betterAuth.jwksFetchesSoFar(), fetchesBeforeRotation + 1, "one JWKS fetch for the new kid");
        const oldKeyStillServes = await call(api.url, "GET", `/api/${alice.userId}/tasks`, { token: aliceToken });
        assert.equal(oldKeyStillServes.status, 200, `token signed with the old key, in its grace period: ${oldKeyStillServes.text}`);
        assert.equal(oldKeyStillServes.json.length, 2);
        const carolList = await call(api.url, "GET", `/api/${carol.userId}/tasks`, { token: carolToken });
        assert.equal(carolList.status, 200, carolList.text);
        assert.deepEqual(carolList.json, []);
        const stillForbidden = await call(api.url, "GET", `/api/${alice.userId}/tasks`, { token: carolToken });
        assert.equal(stillForbidden.status, 403);
      } catch (error) {
        if (api) t.diagnostic(api.tailText());
        if (betterAuth) t.diagnostic(betterAuth.tailText());
        throw error;
      } finally {
        await cleanup.run();
      }
    });
  }
});
