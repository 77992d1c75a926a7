// What a person does on the app's pages, in the words of its labels and buttons.

import assert from "node:assert/strict";

export async function signUp(page, baseUrl, { name, email, password }) {
  await page.goto(`${baseUrl}/signup`);
  await page.getByLabel("Name").fill(name);
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Password").fill(password);
  await page.getByRole("button", { name: "Create account" }).click();
  await page.waitForURL(`${baseUrl}/dashboard`);
}

export async function signIn(page, baseUrl, { email, password }) {
  await page.goto(`${baseUrl}/login`);
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Password").fill(password);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.waitForURL(`${baseUrl}/dashboard`);
}

const newTaskForm = (page) => page.getByRole("region", { name: "Add a task" });

export async function addTask(page, title, description = "") {
  const form = newTaskForm(page);
  await form.getByLabel("Title").fill(title);
  await form.getByLabel("Description").fill(description);
  await form.getByRole("button", { name: "Add task" }).click();
}

/** Adds a task and waits until the list shows it. */
export async function createTask(page, title, description = "") {
  await addTask(page, title, description);
  await taskItem(page, title).waitFor();
}

export const taskItem = (page, title) =>
  page.locator("li.task").filter({ has: page.locator(".task-title").getByText(title, { exact: true }) });

/** Waits until the list shows exactly `titles`, in this order. */
export async function expectTitles(page, titles) {
  try {
    await page.waitForFunction(
      (expected) => JSON.stringify([...document.querySelectorAll(".task-title")].map((el) => el.textContent)) === expected,
      JSON.stringify(titles),
      { timeout: 20_000 },
    );
  } catch {
    const shown = await page.$$eval(".task-title", (els) => els.map((el) => el.textContent));
    assert.deepEqual(shown, titles, "the task list");
  }
}

/** Waits until the pager reads `text` (e.g. "1–10 of 27 · page 1 of 3"). */
export async function expectPager(page, text) {
  await page.getByRole("navigation", { name: "Pages" }).getByText(text, { exact: true }).waitFor({ timeout: 20_000 });
}

export async function showOnly(page, status) {
  await page.getByRole("radio", { name: status }).check();
}

export async function search(page, text) {
  await page.getByRole("searchbox", { name: "Search" }).fill(text);
}
