// Smoke test of the whole-system command, scripts/dev.sh, as a newcomer runs it: no
// database server, development secret generated, frontend and API started and wired
// together; then a person signs up in the browser and adds a task. Ports and the data
// folder are throwaway ones so a running copy is not disturbed.

import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { createTask, expectTitles, signUp } from "./lib/dashboard-page.mjs";
import { REPO } from "./lib/paths.mjs";
import { freePort, startProcess } from "./lib/processes.mjs";
import { launchBrowser } from "./lib/system.mjs";

describe("scripts/dev.sh", { timeout: 600_000 }, () => {
  let dataDir;
  let devScript;
  let browser;
  let frontendUrl;
  let apiPort;

  before(async () => {
    dataDir = await mkdtemp(join(tmpdir(), "tasks-dev-"));
    apiPort = await freePort();
    const frontendPort = await freePort();
    devScript = startProcess("dev-sh", join(REPO, "scripts/dev.sh"), [], {
      cwd: REPO,
      env: {
        FRONTEND_PORT: String(frontendPort),
        API_PORT: String(apiPort),
        DEV_DATA_DIR: dataDir,
        // The Rust toolchain wherever this machine keeps it.
        ...Object.fromEntries(["CARGO_HOME", "RUSTUP_HOME"].filter((name) => process.env[name]).map((name) => [name, process.env[name]])),
      },
    });
    [, frontendUrl] = await devScript.waitForOutput(/Tasks is running: open (http:\/\/localhost:\d+)/, 480_000);
    browser = await launchBrowser();
  }, { timeout: 540_000 });

  after(async () => {
    await browser?.close();
    await devScript?.stop();
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  it("generates the development secret into its data folder", () => {
    const secrets = readFileSync(join(dataDir, "dev-secrets.env"), "utf8");
    assert.match(secrets, /^BETTER_AUTH_SECRET=[A-Za-z0-9_-]{40,}\n$/);
  });

  it("serves the app: a person signs up and adds a task that the API stores", { timeout: 300_000 }, async () => {
    const page = await browser.newPage();
    page.setDefaultTimeout(120_000); // `next dev` compiles each page on its first visit
    await signUp(page, frontendUrl, { name: "Newcomer", email: "new@example.com", password: "newcomer-password" });
    await page.getByText("No tasks yet.").waitFor();
    await createTask(page, "Try the Tasks app");
    await page.reload();
    await expectTitles(page, ["Try the Tasks app"]);
    assert.ok(existsSync(join(dataDir, "auth.db")), "Better Auth's SQLite file");
    assert.ok(existsSync(join(dataDir, "tasks.db")), "the API's SQLite store");
  });

  it("stops both servers when it is stopped", async () => {
    await devScript.stop();
    const answer = await fetch(`http://127.0.0.1:${apiPort}/health`).catch(() => null);
    assert.equal(answer, null, "the API still answers after dev.sh stopped");
    const page = await fetch(frontendUrl).catch(() => null);
    assert.equal(page, null, "the frontend still answers after dev.sh stopped");
  });
});
