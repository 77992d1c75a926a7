// One person with the app open in two tabs of one browser, in headless Chromium against the
// production build and the Tasks API on a fresh PostgreSQL database: a change in one tab
// appears in the other without a reload (the event stream); an edit started before another
// tab's change is refused with a clear message and overwrites nothing until saved again
// (If-Match, 412); a create whose answer is lost is sent again with the same
// Idempotency-Key and makes one task; an unchanged list is answered 304.
//
// Needs what dashboard.test.mjs needs; scripts/test-frontend.sh provides it.

import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { addTask, createTask, expectTitles, showOnly, signUp, taskItem } from "./lib/dashboard-page.mjs";
import { startSystem } from "./lib/system.mjs";

const carol = { name: "Carol", email: "carol@example.com", password: "carol-tabs-and-devices" };
const LIVE = "Live: changes made in other tabs and on other devices appear here.";

/** Requests to the task list's own path (not a task, not the event stream). */
const isListRequest = (request) => new URL(request.url()).pathname.endsWith("/tasks");

describe("the Tasks app in two tabs", { timeout: 600_000 }, () => {
  let system;
  let frontend;
  let first;
  let second;

  before(async () => {
    system = await startSystem("tasks_two_tabs");
    frontend = system.frontend;
    const context = await system.browser.newContext({ viewport: { width: 1280, height: 900 } });
    first = await context.newPage();
    first.setDefaultTimeout(30_000);
    await signUp(first, frontend.url, carol);
    second = await context.newPage();
    second.setDefaultTimeout(30_000);
    await second.goto(`${frontend.url}/dashboard`);
    for (const page of [first, second]) {
      await page.getByText(LIVE).waitFor();
      // Survives only as long as the page is not reloaded.
      await page.evaluate(() => {
        window.notReloaded = true;
      });
    }
  }, { timeout: 240_000 });

  after(() => system?.stop());

  /** Waits until the add form's create has succeeded: the form empties only then. */
  async function settled(page) {
    await page.waitForFunction(() => document.querySelector("#new-task-title")?.value === "");
  }

  async function assertNotReloaded(page) {
    assert.equal(await page.evaluate(() => window.notReloaded), true, "the tab was not reloaded");
  }

  it("shows a task created, completed and deleted in one tab in the other", async () => {
    await createTask(first, "Call mum");
    await taskItem(second, "Call mum").waitFor();

    await taskItem(second, "Call mum").getByRole("checkbox", { name: "Done: Call mum" }).check();
    await first.locator("li.task.done").filter({ hasText: "Call mum" }).waitFor();

    await createTask(second, "Water plants");
    await expectTitles(first, ["Water plants", "Call mum"]);
    await taskItem(first, "Call mum").getByRole("button", { name: "Delete: Call mum" }).click();
    await expectTitles(second, ["Water plants"]);

    await assertNotReloaded(first);
    await assertNotReloaded(second);
  });

  it("refuses an edit begun before another tab's change, keeping both until saved again", async () => {
    await createTask(first, "Plan trip");
    await taskItem(second, "Plan trip").waitFor();

    await taskItem(first, "Plan trip").getByRole("button", { name: "Edit: Plan trip" }).click();
    const firstEditor = first.getByRole("form", { name: "Edit task: Plan trip" });
    await firstEditor.getByLabel("Title").fill("Plan trip to Rome");

    await taskItem(second, "Plan trip").getByRole("button", { name: "Edit: Plan trip" }).click();
    const secondEditor = second.getByRole("form", { name: "Edit task: Plan trip" });
    await secondEditor.getByLabel("Title").fill("Plan trip to Oslo");
    await secondEditor.getByRole("button", { name: "Save" }).click();
    await taskItem(second, "Plan trip to Oslo").waitFor();

    // The first tab hears of the change while its editor is open, and keeps what was typed.
    const staleEditor = first.getByRole("form", { name: "Edit task: Plan trip to Oslo" });
    await staleEditor.waitFor();
    assert.equal(await staleEditor.getByLabel("Title").inputValue(), "Plan trip to Rome");

    await staleEditor.getByRole("button", { name: "Save" }).click();
    const conflict = staleEditor.getByRole("alert");
    await conflict.waitFor();
    assert.match(await conflict.textContent(), /changed in another tab or on another device/);
    assert.equal(await staleEditor.getByLabel("Title").inputValue(), "Plan trip to Rome");
    assert.equal(await taskItem(second, "Plan trip to Oslo").count(), 1, "the other tab's change stands");

    // Saving again, having seen the message, replaces the other change.
    await staleEditor.getByRole("button", { name: "Save" }).click();
    await taskItem(first, "Plan trip to Rome").waitFor();
    await taskItem(second, "Plan trip to Rome").waitFor();
    await assertNotReloaded(first);
  });

  it("sends a create whose answer was lost again with the same key, making one task", async () => {
    const creates = [];
    first.on("request", (request) => {
      if (request.method() === "POST" && isListRequest(request)) creates.push(request.headers()["idempotency-key"]);
    });
    const replayed = [];
    first.on("response", (response) => {
      if (response.request().method() === "POST" && isListRequest(response.request())) {
        replayed.push(response.headers()["idempotent-replayed"] ?? "false");
      }
    });
    // The first create reaches the API, which makes the task; its answer never reaches the page.
    await first.route(
      (url) => url.pathname.endsWith("/tasks"),
      async (route) => {
        if (route.request().method() !== "POST") return route.fallback();
        await route.fetch();
        await route.abort("connectionreset");
      },
      { times: 1 },
    );
    await addTask(first, "Buy stamps");
    // The other tab hears of the task at once; this one shows it once its retry is answered.
    await taskItem(second, "Buy stamps").waitFor();
    await settled(first);
    await taskItem(first, "Buy stamps").waitFor();

    assert.equal(creates.length, 2, `creates sent: ${creates.length}`);
    assert.match(creates[0] ?? "", /^[0-9a-f]{32}$/);
    assert.equal(creates[1], creates[0], "the retry carries the same Idempotency-Key");
    assert.deepEqual(replayed, ["true"], "the retry is answered with the stored response");
    await expectTitles(second, ["Buy stamps", "Plan trip to Rome", "Water plants"]);

    // A new task, even with the same title, is a new create with a new key.
    await addTask(first, "Buy stamps");
    await settled(first);
    await expectTitles(second, ["Buy stamps", "Buy stamps", "Plan trip to Rome", "Water plants"]);
    assert.equal(creates.length, 3);
    assert.notEqual(creates[2], creates[0]);
  });

  it("reads an unchanged list again as a 304", async () => {
    const lists = [];
    const record = (response) => {
      if (response.request().method() === "GET" && isListRequest(response.request())) {
        lists.push({ status: response.status(), ifNoneMatch: response.request().headers()["if-none-match"] });
      }
    };
    second.on("response", record);
    await showOnly(second, "Completed");
    await second.getByText("No task matches this filter or search.").waitFor();
    await showOnly(second, "All");
    await expectTitles(second, ["Buy stamps", "Buy stamps", "Plan trip to Rome", "Water plants"]);
    second.off("response", record);
    const last = lists.at(-1);
    assert.equal(last?.status, 304, `list answers: ${JSON.stringify(lists)}`);
    assert.match(last?.ifNoneMatch ?? "", /^"/);
    await assertNotReloaded(second);
  });
});
