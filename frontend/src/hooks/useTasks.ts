"use client";

import { useCallback, useEffect, useRef, useState } from "react";
import { api, newIdempotencyKey, type Task, type TaskPage, type TaskQuery } from "@/lib/api";
import { ApiError, asApiError } from "@/lib/api-error";
import { useLiveUpdates } from "./useLiveUpdates";

export const PAGE_SIZE = 10;

const INITIAL_QUERY: TaskQuery = { status: "all", q: "", sort: "created", order: "desc", limit: PAGE_SIZE, offset: 0 };

/** What a change returns to its form: nothing when it worked, else the error to show. */
export type ChangeResult = ApiError | null;

/** Errors that go back to the form that caused them rather than to the page banner. */
const FORM_ERRORS = new Set([412, 422]);

/**
 * The user's task list as the dashboard shows it: the current query (filter, search, sort,
 * page), the page of tasks the API returned for it, and the changes, each followed by a
 * fresh read so counts and paging stay true. Changes made elsewhere (another tab, another
 * device) arrive on the event stream and cause the same fresh read.
 *
 * Edits are conditional: `beginEdit` reads the task and its tag, and saving sends that tag
 * as `If-Match`, so an edit never silently replaces a change made since (412 instead). A
 * create carries an Idempotency-Key, kept while the same task is retried after a failure.
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
  const live = useLiveUpdates(userId, reload);

  // The tag each task had when its edit began (or, after a 412, the tag it has now).
  const editTags = useRef(new Map<number, string>());
  // The last create that did not succeed, with its key: the same task sent again reuses it.
  const unsettledCreate = useRef<{ draft: string; key: string } | null>(null);

  const updateQuery = useCallback((change: Partial<Omit<TaskQuery, "limit">>) => {
    setQuery((previous) => ({ ...previous, offset: 0, ...change }));
  }, []);

  /** Runs one change; a 412 or 422 goes back to the form, any other failure to the page banner. */
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
        if (!FORM_ERRORS.has(error.status)) setActionError(error);
        if (error.status === 412) reload();
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
    live,
    createTask: (title: string, description: string) => {
      const input = { title, description: description || null };
      const draft = JSON.stringify(input);
      const key = unsettledCreate.current?.draft === draft ? unsettledCreate.current.key : newIdempotencyKey();
      unsettledCreate.current = { draft, key };
      return change(
        async () => {
          const task = await api.createTask(userId, input, key);
          unsettledCreate.current = null;
          return task;
        },
        { toFirstPage: true },
      );
    },
    /** Reads the task as it is now for its editor; an error goes to the page banner. */
    beginEdit: async (id: number): Promise<Task | null> => {
      try {
        const { task, etag } = await api.getTask(userId, id);
        editTags.current.set(id, etag);
        return task;
      } catch (thrown) {
        setActionError(asApiError(thrown));
        reload();
        return null;
      }
    },
    updateTask: (id: number, title: string, description: string) =>
      change(async () => {
        const etag = editTags.current.get(id);
        if (!etag) throw new ApiError(412, "Open the task's editor again to edit it.");
        try {
          const { task } = await api.updateTask(userId, id, { title, description: description || null }, etag);
          editTags.current.delete(id);
          return task;
        } catch (thrown) {
          const error = asApiError(thrown);
          // Saving again is then a deliberate choice to replace the change just reported.
          if (error.status === 412 && error.currentEtag) editTags.current.set(id, error.currentEtag);
          throw error;
        }
      }),
    toggleTask: (id: number) => change(() => api.toggleComplete(userId, id)),
    deleteTask: (id: number) => change(() => api.deleteTask(userId, id)),
  };
}
