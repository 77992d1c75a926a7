// The app as a person uses it, in headless Chromium: the production build (`next start`)
// with Better Auth and the Tasks API both on a fresh PostgreSQL database (dropped after).
// Two users sign up; each manages their own tasks and never sees the other's; data
// survives a reload and a sign-out; a 422 shows beside its field; a stopped API is said so.
// Accessibility (axe-core) on sign-in and the dashboard; screenshots in test-output/.
//
// Needs: the build in .next/ made with NEXT_PUBLIC_API_URL=http://127.0.0.1:PORT (the same
// variable set when this runs), target/debug/tasks-api, PostgreSQL (TEST_DATABASE_URL) and
// /usr/bin/chromium. scripts/test-frontend.sh does all of it.

import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import AxeBuilder from "@axe-core/playwright";
import {
  addTask,
  createTask,
  expectPager,
  expectTitles,
  search,
  showOnly,
  signIn,
  signUp,
  taskItem,
} from "./lib/dashboard-page.mjs";
import { screenshots, startSystem } from "./lib/system.mjs";

const alice = { name: "Alice", email: "alice@example.com", password: "alice-correct-horse" };
const bob = { name: "Bob", email: "bob@example.com", password: "bob-battery-staple" };

/** axe-core's serious and critical findings on the page as it is now. */
async function seriousViolations(page) {
  const { violations } = await new AxeBuilder({ page }).analyze();
  return violations
    .filter((violation) => violation.impact === "serious" || violation.impact === "critical")
    .map((violation) => `${violation.id}: ${violation.help} (${violation.nodes.map((node) => node.target).join(", ")})`);
}

/** The page fits a phone's width: nothing needs scrolling sideways. */
async function assertNoSidewaysScroll(page) {
  await page.setViewportSize({ width: 390, height: 844 });
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  await page.setViewportSize({ width: 1280, height: 900 });
  assert.ok(overflow <= 0, `the page is ${overflow}px wider than a 390px screen`);
}

describe("the Tasks app in a real browser", { timeout: 600_000 }, () => {
  let system;
  let frontend;
  const users = new Map();

  before(async () => {
    system = await startSystem("tasks_frontend");
    frontend = system.frontend;
  }, { timeout: 240_000 });

  after(() => system?.stop());

  async function pageFor(user) {
    if (!users.has(user)) {
      const context = await system.browser.newContext({ viewport: { width: 1280, height: 900 } });
      const page = await context.newPage();
      page.setDefaultTimeout(30_000);
      users.set(user, page);
    }
    return users.get(user);
  }

  it("sends a signed-out visitor from /dashboard to /login, whose form passes axe", async () => {
    const page = await pageFor(alice);
    await page.goto(`${frontend.url}/dashboard`);
    await page.waitForURL(`${frontend.url}/login`);
    await page.getByRole("heading", { name: "Sign in" }).waitFor();
    assert.deepEqual(await seriousViolations(page), []);
    await assertNoSidewaysScroll(page);
    await screenshots(page, "sign-in");
  });

  it("signs two users up; each starts with an empty list", async () => {
    for (const user of [alice, bob]) {
      const page = await pageFor(user);
      await signUp(page, frontend.url, user);
      await page.getByText("No tasks yet.").waitFor();
      await page.getByText(user.name, { exact: true }).waitFor();
    }
  });

  it("creates, edits in place, toggles and filters tasks", async () => {
    const page = await pageFor(alice);
    await createTask(page, "Buy milk", "two litres");
    await createTask(page, "Write report");
    await expectTitles(page, ["Write report", "Buy milk"]);
    assert.equal(await taskItem(page, "Buy milk").locator(".task-description").textContent(), "two litres");

    const report = taskItem(page, "Write report");
    await report.getByRole("button", { name: "Edit: Write report" }).click();
    const editor = page.getByRole("form", { name: "Edit task: Write report" });
    await editor.getByLabel("Title").fill("Write the report");
    await editor.getByLabel("Description").fill("by Friday");
    await editor.getByRole("button", { name: "Save" }).click();
    await taskItem(page, "Write the report").locator(".task-description", { hasText: "by Friday" }).waitFor();

    await taskItem(page, "Buy milk").getByRole("checkbox", { name: "Done: Buy milk" }).check();
    await page.locator("li.task.done").filter({ hasText: "Buy milk" }).waitFor();

    await showOnly(page, "Completed");
    await expectTitles(page, ["Buy milk"]);
    await showOnly(page, "Pending");
    await expectTitles(page, ["Write the report"]);
    await showOnly(page, "All");
    await expectTitles(page, ["Write the report", "Buy milk"]);
  });

  it("searches titles and descriptions, and says when nothing matches", async () => {
    const page = await pageFor(alice);
    await search(page, "LITRES");
    await expectTitles(page, ["Buy milk"]);
    await search(page, "report");
    await expectTitles(page, ["Write the report"]);
    await search(page, "no such words");
    await page.getByText("No task matches this filter or search.").waitFor();
    await search(page, "");
    await expectTitles(page, ["Write the report", "Buy milk"]);
  });

  it("shows a 422's message next to the field it names", async () => {
    const page = await pageFor(alice);
    await addTask(page, "   ");
    const error = page.locator("#new-task-title-error");
    await error.waitFor();
    assert.match(await error.textContent(), /empty/i);
    const title = page.getByRole("region", { name: "Add a task" }).getByLabel("Title");
    assert.equal(await title.getAttribute("aria-invalid"), "true");
    assert.equal(await title.getAttribute("aria-describedby"), "new-task-title-error");
    await createTask(page, "Pay rent");
    assert.equal(await error.count(), 0, "the error goes once the title is fixed");
  });

  it("pages through 28 tasks by X-Total-Count and Link", async () => {
    const page = await pageFor(alice);
    for (let i = 1; i <= 25; i += 1) {
      await createTask(page, `Chore ${String(i).padStart(2, "0")}`);
    }
    await expectPager(page, "1–10 of 28 · page 1 of 3");
    const pages = page.getByRole("navigation", { name: "Pages" });
    assert.equal(await pages.getByRole("button", { name: "Previous page" }).isDisabled(), true);
    await pages.getByRole("button", { name: "Next page" }).click();
    await expectPager(page, "11–20 of 28 · page 2 of 3");
    await pages.getByRole("button", { name: "Next page" }).click();
    await expectPager(page, "21–28 of 28 · page 3 of 3");
    await expectTitles(page, ["Chore 05", "Chore 04", "Chore 03", "Chore 02", "Chore 01", "Pay rent", "Write the report", "Buy milk"]);
    assert.equal(await pages.getByRole("button", { name: "Next page" }).isDisabled(), true);
    await pages.getByRole("button", { name: "Previous page" }).click();
    await expectPager(page, "11–20 of 28 · page 2 of 3");
  });

  it("deletes a task", async () => {
    const page = await pageFor(alice);
    await page.getByRole("combobox", { name: "Sort" }).selectOption({ label: "Title A–Z" });
    await expectPager(page, "1–10 of 28 · page 1 of 3");
    await taskItem(page, "Buy milk").getByRole("button", { name: "Delete: Buy milk" }).click();
    await expectPager(page, "1–10 of 27 · page 1 of 3");
    assert.equal(await taskItem(page, "Buy milk").count(), 0);
  });

  it("keeps each user's tasks apart", async () => {
    const bobPage = await pageFor(bob);
    await createTask(bobPage, "Bob's private task");
    await bobPage.reload();
    await expectTitles(bobPage, ["Bob's private task"]);
    await search(bobPage, "Chore");
    await bobPage.getByText("No task matches this filter or search.").waitFor();

    const alicePage = await pageFor(alice);
    await alicePage.reload();
    await expectPager(alicePage, "1–10 of 27 · page 1 of 3");
    await search(alicePage, "private");
    await alicePage.getByText("No task matches this filter or search.").waitFor();
  });

  it("keeps the data over a reload, passes axe, and fits a phone's width", async () => {
    const page = await pageFor(alice);
    await page.reload();
    await expectPager(page, "1–10 of 27 · page 1 of 3");
    assert.deepEqual(await seriousViolations(page), []);
    await assertNoSidewaysScroll(page);
    await screenshots(page, "dashboard");
  });

  it("signs out to /login, keeps /dashboard closed, and shows the tasks after signing in again", async () => {
    const page = await pageFor(alice);
    await page.getByRole("button", { name: "Sign out" }).click();
    await page.waitForURL(`${frontend.url}/login`);
    await page.goto(`${frontend.url}/dashboard`);
    await page.waitForURL(`${frontend.url}/login`);
    await signIn(page, frontend.url, alice);
    await expectPager(page, "1–10 of 27 · page 1 of 3");
    await taskItem(page, "Chore 25").waitFor();
  });

  it("retries a refused token once with a fresh one, then sends the user to /login", async () => {
    const page = await pageFor(alice);
    // An API expecting another audience refuses every token Better Auth issues: 401.
    await system.restartApi({ JWT_AUDIENCE: "https://elsewhere.example" });
    const calls = [];
    const record = (request) => {
      const url = new URL(request.url());
      if (request.method() === "OPTIONS") return; // CORS preflights, when reported
      if (url.pathname.endsWith("/tasks") || url.pathname === "/api/auth/token") calls.push(url.pathname.split("/").pop());
    };
    page.on("request", record);
    await showOnly(page, "Completed");
    await page.waitForURL(`${frontend.url}/login`);
    page.off("request", record);
    // The held token was sent, refused, replaced by a fresh one and sent once more.
    assert.deepEqual(calls.slice(-3), ["tasks", "token", "tasks"]);
    assert.equal(calls.filter((call) => call === "tasks").length, 2, `requests: ${calls.join(", ")}`);

    await system.restartApi();
    await signIn(page, frontend.url, alice);
    await expectPager(page, "1–10 of 27 · page 1 of 3");
  });

  it("says so when the API is down, instead of a blank page", async () => {
    const page = await pageFor(alice);
    await system.api.stop();
    await showOnly(page, "Pending");
    const alert = page.getByRole("alert").filter({ hasText: "cannot be reached" });
    await alert.waitFor();
    assert.match(await alert.textContent(), new RegExp(`tasks service at ${process.env.NEXT_PUBLIC_API_URL}`));
    await page.reload();
    await alert.waitFor();
    await page.getByRole("heading", { name: "Your tasks" }).waitFor();
  });
});
