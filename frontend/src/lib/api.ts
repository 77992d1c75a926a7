import createClient from "openapi-fetch";
import type { components, paths } from "./api-schema";
import { ApiError, apiErrorFromResponse, unreachable } from "./api-error";
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
  async listTasks(userId: string, query: TaskQuery): Promise<TaskPage> {
    const { q, ...rest } = query;
    const result = await client.GET("/api/{user_id}/tasks", {
      params: { path: userPath(userId), query: q.trim() ? { ...rest, q: q.trim() } : rest },
    });
    const tasks = unwrap(result);
    return {
      tasks,
      total: Number(result.response.headers.get("X-Total-Count") ?? tasks.length),
      nextOffset: nextOffsetFrom(result.response.headers.get("Link")),
    };
  },

  async createTask(userId: string, input: { title: string; description?: string | null }): Promise<Task> {
    return unwrap(await client.POST("/api/{user_id}/tasks", { params: { path: userPath(userId) }, body: input }));
  },

  async updateTask(userId: string, taskId: number, input: { title?: string; description?: string | null }): Promise<Task> {
    return unwrap(
      await client.PUT("/api/{user_id}/tasks/{task_id}", { params: { path: taskPath(userId, taskId) }, body: input }),
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
};
