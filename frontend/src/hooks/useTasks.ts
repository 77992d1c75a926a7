"use client";

import { useCallback, useEffect, useState } from "react";
import { api, type Task, type TaskPage, type TaskQuery } from "@/lib/api";
import { ApiError, asApiError } from "@/lib/api-error";

export const PAGE_SIZE = 10;

const INITIAL_QUERY: TaskQuery = { status: "all", q: "", sort: "created", order: "desc", limit: PAGE_SIZE, offset: 0 };

/** What a change returns to its form: nothing when it worked, else the error to show. */
export type ChangeResult = ApiError | null;

/**
 * The user's task list as the dashboard shows it: the current query (filter, search, sort,
 * page), the page of tasks the API returned for it, and the changes, each followed by a
 * fresh read so counts and paging stay true.
 */
export function useTasks(userId: string) {
  const [query, setQuery] = useState<TaskQuery>(INITIAL_QUERY);
  const [page, setPage] = useState<TaskPage | null>(null);
  const [loadError, setLoadError] = useState<ApiError | null>(null);
  const [actionError, setActionError] = useState<ApiError | null>(null);
  const [generation, setGeneration] = useState(0);

  useEffect(() => {
    let current = true;
    api.listTasks(userId, query).then(
      (loaded) => {
        if (!current) return;
        // A page emptied by deletions falls back to the last page that has tasks.
        if (loaded.tasks.length === 0 && query.offset > 0 && loaded.total > 0) {
          const lastPage = Math.floor((loaded.total - 1) / query.limit) * query.limit;
          setQuery((previous) => ({ ...previous, offset: lastPage }));
          return;
        }
        setPage(loaded);
        setLoadError(null);
      },
      (error: unknown) => {
        if (current) setLoadError(asApiError(error));
      },
    );
    return () => {
      current = false;
    };
  }, [userId, query, generation]);

  const reload = useCallback(() => setGeneration((value) => value + 1), []);

  const updateQuery = useCallback((change: Partial<Omit<TaskQuery, "limit">>) => {
    setQuery((previous) => ({ ...previous, offset: 0, ...change }));
  }, []);

  /** Runs one change; a 422 goes back to the form, any other failure to the page banner. */
  const change = useCallback(
    async (run: () => Promise<Task>, { toFirstPage = false } = {}): Promise<ChangeResult> => {
      try {
        await run();
        setActionError(null);
        if (toFirstPage) setQuery((previous) => ({ ...previous, offset: 0 }));
        reload();
        return null;
      } catch (thrown) {
        const error = asApiError(thrown);
        if (error.status !== 422) setActionError(error);
        return error;
      }
    },
    [reload],
  );

  return {
    query,
    page,
    loadError,
    actionError,
    dismissActionError: () => setActionError(null),
    reload,
    updateQuery,
    createTask: (title: string, description: string) =>
      change(() => api.createTask(userId, { title, description: description || null }), { toFirstPage: true }),
    updateTask: (id: number, title: string, description: string) =>
      change(() => api.updateTask(userId, id, { title, description: description || null })),
    toggleTask: (id: number) => change(() => api.toggleComplete(userId, id)),
    deleteTask: (id: number) => change(() => api.deleteTask(userId, id)),
  };
}
