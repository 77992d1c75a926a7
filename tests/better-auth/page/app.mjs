// The browser side of browser.test.mjs, bundled by esbuild into one script (app.js).
// It does what the seed's frontend does (../../../../shared/seed/auth-skill.md): the Better
// Auth client with `jwtClient()`, sign-up, `authClient.token()` for the JWT, and the seed's
// `fetchWithAuth` sending `Content-Type: application/json` and `Authorization: Bearer …` to
// the Tasks API on another origin. Everything it learns is rendered into the DOM, where the
// test reads it back.
//
// What it does is chosen by the query string:
//   ?mode=flow&api=URL&email=…&password=…&name=…[&foreign=USER_ID]
//   ?mode=token&api=URL&user=USER_ID&token=JWT   (a token minted by the test)
//   ?mode=cors&api=URL&user=USER_ID&token=JWT

import { createAuthClient } from "better-auth/client";
import { jwtClient } from "better-auth/client/plugins";

const params = new URLSearchParams(location.search);
const API_BASE = params.get("api");

export const authClient = createAuthClient({
  baseURL: location.origin,
  plugins: [jwtClient()],
});

// ---- rendering

const $ = (id) => document.getElementById(id);

function show(id, value) {
  const element = $(id);
  element.textContent = typeof value === "string" ? value : JSON.stringify(value);
  return element;
}

function logStep(name, result) {
  const li = document.createElement("li");
  li.dataset.step = name;
  li.dataset.status = String(result.status);
  li.textContent = `${name}: ${result.status}`;
  $("steps").append(li);
}

function renderTasks(id, tasks) {
  const list = $(id);
  list.replaceChildren(
    ...tasks.map((task) => {
      const li = document.createElement("li");
      li.dataset.id = String(task.id);
      li.dataset.completed = String(task.completed);
      li.dataset.title = task.title;
      li.dataset.description = task.description ?? "";
      li.textContent = `${task.completed ? "☑" : "☐"} ${task.title}${task.description ? ` — ${task.description}` : ""}`;
      return li;
    }),
  );
}

// ---- the seed's API client (lib/api.ts), with authClient.token() as Better Auth names it

let tokenOverride = null;

async function getToken() {
  if (tokenOverride) return tokenOverride;
  const tokenResponse = await authClient.token();
  // Better Auth answers { data: { token }, error }.
  return tokenResponse?.data?.token ?? null;
}

/** The seed's fetchWithAuth, returning what it got instead of redirecting or throwing. */
async function fetchWithAuth(path, options = {}) {
  const token = await getToken();
  if (!token) throw new Error("Not authenticated");
  const response = await fetch(`${API_BASE}${path}`, {
    ...options,
    headers: {
      "Content-Type": "application/json",
      Authorization: `Bearer ${token}`,
      ...options.headers,
    },
  });
  const body = await response.json().catch(() => null);
  return { status: response.status, body, headers: response.headers };
}

const api = {
  getTasks: (userId, query = "") => fetchWithAuth(`/api/${userId}/tasks${query}`),
  createTask: (userId, data) => fetchWithAuth(`/api/${userId}/tasks`, { method: "POST", body: JSON.stringify(data) }),
  updateTask: (userId, taskId, data) => fetchWithAuth(`/api/${userId}/tasks/${taskId}`, { method: "PUT", body: JSON.stringify(data) }),
  deleteTask: (userId, taskId) => fetchWithAuth(`/api/${userId}/tasks/${taskId}`, { method: "DELETE" }),
  toggleComplete: (userId, taskId) => fetchWithAuth(`/api/${userId}/tasks/${taskId}/complete`, { method: "PATCH" }),
};

async function step(name, promise) {
  const result = await promise;
  logStep(name, result);
  return result;
}

// ---- modes

async function flow() {
  const signUp = await authClient.signUp.email({
    email: params.get("email"),
    password: params.get("password"),
    name: params.get("name"),
  });
  if (signUp.error) throw new Error(`sign-up failed: ${JSON.stringify(signUp.error)}`);
  const userId = signUp.data.user.id;
  show("user-id", userId);

  const token = await getToken();
  const header = JSON.parse(atob(token.split(".")[0].replace(/-/g, "+").replace(/_/g, "/")));
  show("token-alg", header.alg);

  const created = [];
  for (const title of ["Buy milk", "Write report", "Call mom"]) {
    created.push((await step(`create ${title}`, api.createTask(userId, { title }))).body);
  }
  const firstList = await step("list", api.getTasks(userId));
  show("first-list-count", String(firstList.body.length));

  const [milk, report, mom] = created;
  const toggled = await step("toggle", api.toggleComplete(userId, milk.id));
  show("toggled", { id: toggled.body.id, completed: toggled.body.completed });
  const edited = await step("edit", api.updateTask(userId, report.id, { title: "Write the report", description: "by Friday" }));
  show("edited", { id: edited.body.id, title: edited.body.title, description: edited.body.description });
  const deleted = await step("delete", api.deleteTask(userId, mom.id));
  show("deleted", { id: deleted.body.id, title: deleted.body.title });

  const finalList = await step("final list", api.getTasks(userId));
  renderTasks("tasks", finalList.body);

  // Paging: more tasks than the limit; the exposed X-Total-Count and Link headers.
  for (const title of ["Pay rent", "Water plants", "Book flights"]) {
    await step(`create ${title}`, api.createTask(userId, { title }));
  }
  const page1 = await step("page 1", api.getTasks(userId, "?limit=2"));
  const link = page1.headers.get("Link");
  const total = page1.headers.get("X-Total-Count");
  const next = link && /<([^>]+)>;\s*rel="next"/.exec(link)?.[1];
  const nextUrl = next ? new URL(next, API_BASE) : null;
  const page2 = nextUrl ? await step("page 2", fetchWithAuth(nextUrl.pathname + nextUrl.search)) : null;
  show("paging", {
    total,
    link,
    page1: page1.body.map((t) => t.id),
    page2: page2?.body?.map((t) => t.id) ?? null,
    page2Total: page2?.headers.get("X-Total-Count") ?? null,
  });

  const foreign = params.get("foreign");
  if (foreign) {
    const response = await step("foreign list", api.getTasks(foreign));
    show("foreign", { status: response.status, detail: response.body?.detail ?? null });
  }
}

async function withToken() {
  tokenOverride = params.get("token");
  const response = await step("list with the given token", api.getTasks(params.get("user")));
  show("token-check", { status: response.status, detail: response.body?.detail ?? null });
}

/** From an origin not in CORS_ORIGINS: the browser must not let the page read anything. */
async function cors() {
  const attempt = async (name, request) => {
    try {
      const response = await request();
      const text = await response.text();
      return { name, outcome: "read", status: response.status, text };
    } catch (error) {
      return { name, outcome: "rejected", error: error?.name, message: String(error?.message) };
    }
  };
  const user = params.get("user");
  const token = params.get("token");
  const results = [
    // Preflighted, as every call of the seed's client is (Authorization, JSON).
    await attempt("preflighted GET", () =>
      fetch(`${API_BASE}/api/${user}/tasks`, { headers: { Authorization: `Bearer ${token}`, "Content-Type": "application/json" } })),
    await attempt("preflighted POST", () =>
      fetch(`${API_BASE}/api/${user}/tasks`, {
        method: "POST",
        headers: { Authorization: `Bearer ${token}`, "Content-Type": "application/json" },
        body: JSON.stringify({ title: "from a foreign origin" }),
      })),
    // A simple request (no preflight): the server answers, the browser hides the answer.
    await attempt("simple GET", () => fetch(`${API_BASE}/api/${user}/tasks`)),
    await attempt("simple GET with credentials", () => fetch(`${API_BASE}/health`, { credentials: "include" })),
  ];
  show("cors", results);
}

async function main() {
  const mode = params.get("mode");
  show("mode", mode ?? "none");
  try {
    if (mode === "flow") await flow();
    else if (mode === "token") await withToken();
    else if (mode === "cors") await cors();
    else throw new Error(`unknown mode ${mode}`);
    show("state", "done");
  } catch (error) {
    show("state", `error: ${error?.stack || error}`);
  }
}

main();
