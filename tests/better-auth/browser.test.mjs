// The seed's whole flow in a real browser: Debian's Chromium (/usr/bin/chromium, headless),
// driven by playwright-core, loads a page bundled from the `better-auth` client
// (page/app.mjs). The page is served by the Better Auth server itself on
// http://localhost:<port> — as Next.js serves the app and Better Auth from one origin — and
// calls our API on another origin with `Authorization: Bearer <authClient.token()>`, our
// service running with CORS_ORIGINS = the page's origin. The page renders what it got; this
// test reads it back from the DOM.
//
// Also: a second user in a second browser context gets 403 on the first user's path; a page
// on an origin not in CORS_ORIGINS (http://127.0.0.1:<port>) cannot read any response; an
// expired HS256 token (our service also has BETTER_AUTH_SECRET) gives a 401 whose `detail`
// the page reads; `X-Total-Count` and `Link` are readable. Screenshots go to tests/output/.
//
// Run: node --test browser.test.mjs  (needs PostgreSQL on 127.0.0.1:5432,
// target/debug/tasks-api and `apt-get install chromium`; scripts/test-node.sh does all of it).

import assert from "node:assert/strict";
import { copyFile, mkdtemp, rm } from "node:fs/promises";
import { mkdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { build } from "esbuild";
import { chromium } from "playwright-core";
import {
  HERE,
  OUTPUT_DIR,
  call,
  cleanupStack,
  createTestDatabase,
  getJwt,
  migrateBetterAuth,
  mintHs256,
  randomSecret,
  startApi,
  startBetterAuth,
} from "./lib/harness.mjs";

const CHROMIUM = process.env.CHROMIUM_PATH || "/usr/bin/chromium";
const CHROMIUM_ARGS = [
  "--no-sandbox",
  "--disable-gpu",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--no-first-run",
  "--disable-quic",
];
const FORBIDDEN_DETAIL = "Not authorized to access this resource";

/** Bundles page/app.mjs (and the Better Auth client it imports) into one app.js. */
async function buildPage(dir) {
  await build({
    entryPoints: [join(HERE, "page/app.mjs")],
    outfile: join(dir, "app.js"),
    bundle: true,
    format: "iife",
    platform: "browser",
    target: "es2022",
    logLevel: "warning",
  });
  await copyFile(join(HERE, "page/index.html"), join(dir, "index.html"));
}

describe("the seed's flow in a real browser", () => {
  const cleanup = cleanupStack();
  const consoleLines = [];
  let db;
  let betterAuth;
  let api;
  let browser;
  let pageOrigin;
  let hsSecret;
  const alice = {};
  const bob = {};

  before(async () => {
    db = await createTestDatabase("browser");
    cleanup.push(() => db.drop());
    const secret = randomSecret();
    await migrateBetterAuth("browser-ba-migrate", db, secret);

    const pageDir = await mkdtemp(join(tmpdir(), "tasks-page-"));
    cleanup.push(() => rm(pageDir, { recursive: true, force: true }));
    await buildPage(pageDir);

    betterAuth = await startBetterAuth("browser-ba", db, secret, { host: "localhost", staticDir: pageDir });
    cleanup.push(() => betterAuth.stop());
    pageOrigin = betterAuth.baseURL; // http://localhost:<port>: the page, and Better Auth

    hsSecret = randomSecret();
    api = await startApi("browser-api", {
      DATABASE_URL: db.url,
      BETTER_AUTH_URL: pageOrigin,
      BETTER_AUTH_SECRET: hsSecret,
      CORS_ORIGINS: pageOrigin,
    });
    cleanup.push(() => api.stop());

    // launch() starts Chromium with a fresh temporary user-data dir, removed on close.
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: CHROMIUM_ARGS,
      timeout: 60_000,
    });
    cleanup.push(() => browser.close());
    mkdirSync(OUTPUT_DIR, { recursive: true });
  }, { timeout: 180_000 });

  after(async () => {
    mkdirSync(join(OUTPUT_DIR, "logs"), { recursive: true });
    writeFileSync(join(OUTPUT_DIR, "logs", "browser-console.log"), consoleLines.join("\n") + "\n");
    await cleanup.run();
  });

  async function newPage(context, label) {
    const page = await context.newPage();
    page.setDefaultTimeout(30_000);
    page.on("console", (message) => consoleLines.push(`[${label}] ${message.type()}: ${message.text()}`));
    page.on("pageerror", (error) => consoleLines.push(`[${label}] pageerror: ${error}`));
    return page;
  }

  /** Opens the page with `query`, waits until it has finished, and returns it. */
  async function runPage(page, origin, query) {
    await page.goto(`${origin}/?${new URLSearchParams(query)}`);
    await page.waitForFunction(() => document.getElementById("state")?.textContent !== "running", null, { timeout: 45_000 });
    const state = await page.textContent("#state");
    assert.equal(state, "done", `page state: ${state}\n${consoleLines.slice(-20).join("\n")}`);
    return page;
  }

  const json = async (page, id) => JSON.parse(await page.textContent(`#${id}`));
  const steps = (page) =>
    page.$$eval("#steps li", (items) => items.map((li) => [li.dataset.step, Number(li.dataset.status)]));
  const tasks = (page) =>
    page.$$eval("#tasks li", (items) =>
      items.map((li) => ({
        id: Number(li.dataset.id),
        title: li.dataset.title,
        description: li.dataset.description,
        completed: li.dataset.completed === "true",
      })),
    );

  it("signs up, gets the JWT with authClient.token(), and creates, lists, toggles, edits and deletes tasks cross-origin", { timeout: 90_000 }, async () => {
    alice.context = await browser.newContext();
    const page = await newPage(alice.context, "alice");
    alice.page = page;
    await runPage(page, pageOrigin, {
      mode: "flow",
      api: api.url,
      email: "alice@example.com",
      password: "alice-correct-horse",
      name: "Alice",
    });
    alice.userId = await page.textContent("#user-id");
    assert.ok(alice.userId.length > 0);
    assert.equal(await page.textContent("#token-alg"), "EdDSA", "a stock Better Auth JWT (Ed25519)");

    const expectedStatuses = [
      ["create Buy milk", 201],
      ["create Write report", 201],
      ["create Call mom", 201],
      ["list", 200],
      ["toggle", 200],
      ["edit", 200],
      ["delete", 200],
      ["final list", 200],
      ["create Pay rent", 201],
      ["create Water plants", 201],
      ["create Book flights", 201],
      ["page 1", 200],
      ["page 2", 200],
    ];
    assert.deepEqual(await steps(page), expectedStatuses);
    assert.equal(await page.textContent("#first-list-count"), "3");

    const rendered = await tasks(page);
    alice.taskIds = rendered.map((task) => task.id);
    assert.deepEqual(
      rendered.map(({ title, description, completed }) => ({ title, description, completed })),
      [
        { title: "Write the report", description: "by Friday", completed: false },
        { title: "Buy milk", description: "", completed: true },
      ],
      "newest first: the edited task, then the toggled one; the deleted one is gone",
    );
    const toggled = await json(page, "toggled");
    assert.equal(toggled.completed, true);
    const deleted = await json(page, "deleted");
    assert.equal(deleted.title, "Call mom");
    assert.ok(!alice.taskIds.includes(deleted.id));

    // The page read the exposed X-Total-Count and Link headers.
    const paging = await json(page, "paging");
    assert.equal(paging.total, "5");
    assert.match(paging.link ?? "", /<[^>]*limit=2[^>]*>;\s*rel="next"/);
    assert.match(paging.link, /offset=2/);
    assert.equal(paging.page1.length, 2);
    assert.equal(paging.page2.length, 2);
    assert.equal(new Set([...paging.page1, ...paging.page2]).size, 4, "two pages, no overlap");
    assert.equal(paging.page2Total, "5");

    await page.screenshot({ path: join(OUTPUT_DIR, "browser-flow.png"), fullPage: true });
  });

  it("a second user in a second browser context cannot see the first user's tasks (403)", { timeout: 90_000 }, async () => {
    assert.ok(alice.userId, "needs the first user");
    bob.context = await browser.newContext();
    const page = await newPage(bob.context, "bob");
    await runPage(page, pageOrigin, {
      mode: "flow",
      api: api.url,
      email: "bob@example.com",
      password: "bob-battery-staple",
      name: "Bob",
      foreign: alice.userId,
    });
    const bobId = await page.textContent("#user-id");
    assert.notEqual(bobId, alice.userId);
    const bobTasks = await tasks(page);
    assert.equal(bobTasks.length, 2);
    for (const task of bobTasks) assert.ok(!alice.taskIds.includes(task.id), "Bob sees only his own tasks");
    assert.deepEqual(await json(page, "foreign"), { status: 403, detail: FORBIDDEN_DETAIL });
    assert.equal((await json(page, "paging")).total, "5", "Bob's count is his own");
    await page.screenshot({ path: join(OUTPUT_DIR, "browser-second-user.png"), fullPage: true });
  });

  it("an expired token gives 401 with a detail the page can read", { timeout: 60_000 }, async () => {
    assert.ok(alice.userId, "needs the first user");
    const now = Math.floor(Date.now() / 1000);
    const claims = { sub: alice.userId, iss: pageOrigin, aud: pageOrigin, iat: now - 3600 };
    const page = await newPage(alice.context, "alice-token");

    // Control: the same kind of token, not expired, is accepted.
    await runPage(page, pageOrigin, { mode: "token", api: api.url, user: alice.userId, token: mintHs256({ ...claims, exp: now + 600 }, hsSecret) });
    assert.equal((await json(page, "token-check")).status, 200);

    await runPage(page, pageOrigin, { mode: "token", api: api.url, user: alice.userId, token: mintHs256({ ...claims, exp: now - 600 }, hsSecret) });
    assert.deepEqual(await json(page, "token-check"), { status: 401, detail: "Token has expired" });
    await page.screenshot({ path: join(OUTPUT_DIR, "browser-expired-token.png"), fullPage: true });
  });

  it("a page on an origin not in CORS_ORIGINS cannot read responses (fetch rejects with TypeError)", { timeout: 60_000 }, async () => {
    assert.ok(alice.userId, "needs the first user");
    // A real Better Auth JWT for Alice, from her browser session's cookies.
    const cookies = await alice.context.cookies(pageOrigin);
    const token = await getJwt(pageOrigin, cookies.map((c) => `${c.name}=${c.value}`).join("; "));
    const listBefore = await call(api.url, "GET", `/api/${alice.userId}/tasks`, { token });
    assert.equal(listBefore.status, 200);

    const otherOrigin = pageOrigin.replace("//localhost:", "//127.0.0.1:");
    assert.notEqual(otherOrigin, pageOrigin);
    const context = await browser.newContext();
    try {
      const page = await newPage(context, "other-origin");
      await runPage(page, otherOrigin, { mode: "cors", api: api.url, user: alice.userId, token });
      const results = await json(page, "cors");
      assert.equal(results.length, 4);
      for (const result of results) {
        assert.equal(result.outcome, "rejected", `${result.name} from ${otherOrigin} was readable: ${JSON.stringify(result)}`);
        assert.equal(result.error, "TypeError", `${result.name}: ${JSON.stringify(result)}`);
      }
      await page.screenshot({ path: join(OUTPUT_DIR, "browser-foreign-origin.png"), fullPage: true });
    } finally {
      await context.close();
    }
    // The preflighted POST never reached the handler.
    const afterwards = await call(api.url, "GET", `/api/${alice.userId}/tasks`, { token });
    assert.deepEqual(afterwards.json, listBefore.json, "no task was created from the foreign origin");
  });
});
