import createClient from "openapi-fetch";
import type { components, paths } from "./api-schema";
import { ApiError, apiErrorFromResponse, asApiError, unreachable } from "./api-error";
import { readEventStream } from "./event-stream";
import { getApiToken } from "./token";

export type Task = components["schemas"]["Task"];
export type TaskStatus = "all" | "pending" | "completed";
export type TaskSort = "created" | "updated" | "title";
export type SortOrder = "asc" | "desc";

export interface TaskQuery {
  status: TaskStatus;
  q: string;
  sort: TaskSort;
  order: SortOrder;
  limit: number;
  offset: number;
}

export interface TaskPage {
  tasks: Task[];
  /** X-Total-Count: every task matching status and q, on all pages. */
  total: number;
  /** The offset of the next page, read from `Link: <…>; rel="next"`; null on the last page. */
  nextOffset: number | null;
}

/** A task with its entity tag, which a later edit sends as `If-Match`. */
export interface TaggedTask {
  task: Task;
  etag: string;
}

/** What the event stream says: one task changed, or changes may have been missed. */
export type TaskEvent =
  | { type: "task.created" | "task.updated" | "task.deleted"; task: Task }
  | { type: "resync" };

const TASK_EVENT_TYPES = new Set(["task.created", "task.updated", "task.deleted"]);

export const API_URL = (process.env.NEXT_PUBLIC_API_URL || "http://localhost:8000").replace(/\/+$/, "");

/** Thrown when no valid token can be had; the dashboard answers it by going to /login. */
function sessionEnded(): never {
  throw new ApiError(401, "Your session has ended. Please sign in again.");
}

async function send(request: Request, token: string): Promise<Response> {
  const headers = new Headers(request.headers);
  headers.set("Authorization", `Bearer ${token}`);
  try {
    return await fetch(new Request(request, { headers }));
  } catch {
    throw unreachable(API_URL);
  }
}

/**
 * Sends a request with the user's JWT. A 401 (the token expired or its key rotated) gets
 * one retry with a freshly issued token; a second 401 means the session is gone.
 */
async function fetchWithToken(request: Request): Promise<Response> {
  const retry = request.clone();
  const token = await getApiToken();
  if (!token) sessionEnded();
  const response = await send(request, token);
  if (response.status !== 401) return response;
  const fresh = await getApiToken({ fresh: true });
  if (!fresh) sessionEnded();
  const retried = await send(retry, fresh);
  if (retried.status === 401) sessionEnded();
  return retried;
}

const client = createClient<paths>({ baseUrl: API_URL, fetch: fetchWithToken });

/** The data of a successful call, or the ApiError its answer describes. */
function unwrap<T>(result: { data?: T; error?: unknown; response: Response }): T {
  if (result.data === undefined || !result.response.ok) {
    throw apiErrorFromResponse(result.response, result.error);
  }
  return result.data;
}

function tagged(result: { data?: Task; error?: unknown; response: Response }): TaggedTask {
  const task = unwrap(result);
  const etag = result.response.headers.get("ETag");
  if (!etag) throw new ApiError(result.response.status, "The tasks service sent a task without its ETag.");
  return { task, etag };
}

/** A fresh Idempotency-Key: 128 random bits (getRandomValues works outside secure contexts too). */
export function newIdempotencyKey(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return Array.from(bytes, (byte) => byte.toString(16).padStart(2, "0")).join("");
}

/** How many times a create is sent in all when its answer is lost or says "not now". */
const CREATE_ATTEMPTS = 3;
/** The longest wait between attempts, whatever `Retry-After` asks. */
const MAX_RETRY_WAIT_MS = 5_000;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Runs `attempt` again while its failure may be passing: no answer (the request may or may
 * not have arrived), 503, or 409 (the same key still being processed). Only for requests
 * that are safe to repeat, such as a create with an Idempotency-Key.
 */
async function retried<T>(attempt: () => Promise<T>): Promise<T> {
  for (let tries = 1; ; tries += 1) {
    try {
      return await attempt();
    } catch (thrown) {
      const error = asApiError(thrown);
      const passing = error.isUnavailable || error.status === 409;
      if (!passing || tries >= CREATE_ATTEMPTS) throw error;
      await sleep(Math.min((error.retryAfter ?? tries) * 1000, MAX_RETRY_WAIT_MS));
    }
  }
}

/** Pages already read, by user and query, with their ETag: a repeat read that gets 304 reuses them. */
const readPages = new Map<string, { etag: string; page: TaskPage }>();
const READ_PAGES_KEPT = 20;

/** Drops every page kept (on sign-out: the next user of this tab never holds them). */
export function forgetReadPages(): void {
  readPages.clear();
}

function remember(key: string, etag: string | null, page: TaskPage) {
  readPages.delete(key);
  if (!etag) return;
  readPages.set(key, { etag, page });
  const oldest = readPages.keys().next().value;
  if (readPages.size > READ_PAGES_KEPT && oldest !== undefined) readPages.delete(oldest);
}

function nextOffsetFrom(link: string | null): number | null {
  const next = link?.split(",").find((part) => /;\s*rel="?next"?/.test(part));
  const target = next?.match(/<([^>]*)>/)?.[1];
  if (!target) return null;
  const offset = new URL(target, API_URL).searchParams.get("offset");
  return offset === null ? null : Number(offset);
}

// openapi-fetch percent-encodes path parameters (encodeURIComponent), so a user id with any
// character reaches its own tasks.
const userPath = (userId: string) => ({ user_id: userId });
const taskPath = (userId: string, taskId: number) => ({ user_id: userId, task_id: taskId });

export const api = {
  /** One page of tasks. Asked again with the ETag of the last answer, an unchanged page costs a 304. */
  async listTasks(userId: string, query: TaskQuery): Promise<TaskPage> {
    const { q, ...rest } = query;
    const key = JSON.stringify([userId, query]);
    const known = readPages.get(key);
    const result = await client.GET("/api/{user_id}/tasks", {
      params: {
        path: userPath(userId),
        query: q.trim() ? { ...rest, q: q.trim() } : rest,
        header: known ? { "If-None-Match": known.etag } : {},
      },
    });
    if (result.response.status === 304 && known) return known.page;
    const tasks = unwrap(result);
    const page = {
      tasks,
      total: Number(result.response.headers.get("X-Total-Count") ?? tasks.length),
      nextOffset: nextOffsetFrom(result.response.headers.get("Link")),
    };
    remember(key, result.response.headers.get("ETag"), page);
    return page;
  },

  /** One task as it is now, with the tag an edit of it sends. */
  async getTask(userId: string, taskId: number): Promise<TaggedTask> {
    return tagged(await client.GET("/api/{user_id}/tasks/{task_id}", { params: { path: taskPath(userId, taskId) } }));
  },

  /**
   * Creates a task under `idempotencyKey`: sent again with the same key when its answer is
   * lost or the service is briefly unavailable, it still creates one task. Reuse the key
   * when the person retries the same task; take a new one for the next.
   */
  async createTask(
    userId: string,
    input: { title: string; description?: string | null },
    idempotencyKey: string,
  ): Promise<Task> {
    return retried(async () =>
      unwrap(
        await client.POST("/api/{user_id}/tasks", {
          params: { path: userPath(userId), header: { "Idempotency-Key": idempotencyKey } },
          body: input,
        }),
      ),
    );
  },

  /** Applies the edit only if the task still has tag `etag`; else an ApiError with status 412. */
  async updateTask(
    userId: string,
    taskId: number,
    input: { title?: string; description?: string | null },
    etag: string,
  ): Promise<TaggedTask> {
    return tagged(
      await client.PUT("/api/{user_id}/tasks/{task_id}", {
        params: { path: taskPath(userId, taskId), header: { "If-Match": etag } },
        body: input,
      }),
    );
  },

  async toggleComplete(userId: string, taskId: number): Promise<Task> {
    return unwrap(
      await client.PATCH("/api/{user_id}/tasks/{task_id}/complete", { params: { path: taskPath(userId, taskId) } }),
    );
  },

  async deleteTask(userId: string, taskId: number): Promise<Task> {
    return unwrap(await client.DELETE("/api/{user_id}/tasks/{task_id}", { params: { path: taskPath(userId, taskId) } }));
  },

  /**
   * Follows the user's live updates: `onOpen` once the stream is open (re-read the list
   * then, since nothing before it is replayed), `onEvent` for each event. Resolves when the
   * service ends the stream (at the token's expiry: open it again); rejects with an ApiError
   * when it cannot open or breaks, or when `signal` aborts.
   */
  async watchTasks(
    userId: string,
    { signal, onOpen, onEvent }: { signal: AbortSignal; onOpen: () => void; onEvent: (event: TaskEvent) => void },
  ): Promise<void> {
    const url = `${API_URL}/api/${encodeURIComponent(userId)}/tasks/events`;
    const response = await fetchWithToken(new Request(url, { headers: { Accept: "text/event-stream" }, signal }));
    if (!response.ok) {
      throw apiErrorFromResponse(response, await response.json().catch(() => null));
    }
    onOpen();
    try {
      await readEventStream(response, ({ event, data }) => {
        if (event === "resync") onEvent({ type: "resync" });
        else if (event && TASK_EVENT_TYPES.has(event)) {
          onEvent({ type: event as "task.created" | "task.updated" | "task.deleted", task: JSON.parse(data) as Task });
        }
      });
    } catch (error) {
      if (signal.aborted) throw error;
      throw unreachable(API_URL);
    }
  },
};
