"use client";

import { useEffect, useRef, useState } from "react";
import { api } from "@/lib/api";
import { asApiError } from "@/lib/api-error";

/** Waits before opening the stream again after a failure: doubling from the first to the last. */
const FIRST_RETRY_MS = 1_000;
const LAST_RETRY_MS = 30_000;
/** Events that arrive this close together cause one re-read of the list. */
const COALESCE_MS = 100;

/**
 * Keeps the user's event stream open while the page is: `onChange` runs when the stream
 * opens (changes before it are not replayed) and after every change announced, a burst of
 * them counting once. The stream ends at the token's expiry and is opened again with a
 * fresh token; after a failure it is retried with backoff (or after the 429's
 * `Retry-After`), until the session ends (401) or the user is refused (403).
 *
 * Returns whether the stream is open now.
 */
export function useLiveUpdates(userId: string, onChange: () => void): boolean {
  const [live, setLive] = useState(false);
  const latestOnChange = useRef(onChange);
  useEffect(() => {
    latestOnChange.current = onChange;
  }, [onChange]);

  useEffect(() => {
    const stop = new AbortController();
    let pending: ReturnType<typeof setTimeout> | undefined;
    const changed = () => {
      clearTimeout(pending);
      pending = setTimeout(() => latestOnChange.current(), COALESCE_MS);
    };
    const wait = (ms: number) =>
      new Promise<void>((resolve) => {
        const done = () => {
          clearTimeout(timer);
          stop.signal.removeEventListener("abort", done);
          resolve();
        };
        const timer = setTimeout(done, ms);
        stop.signal.addEventListener("abort", done);
      });

    async function follow() {
      let retryMs = FIRST_RETRY_MS;
      while (!stop.signal.aborted) {
        try {
          await api.watchTasks(userId, {
            signal: stop.signal,
            onOpen: () => {
              setLive(true);
              retryMs = FIRST_RETRY_MS;
              changed();
            },
            onEvent: changed,
          });
          setLive(false);
        } catch (thrown) {
          setLive(false);
          if (stop.signal.aborted) return;
          const error = asApiError(thrown);
          if (error.status === 401 || error.status === 403) return;
          await wait(error.retryAfter ? error.retryAfter * 1000 : retryMs);
          retryMs = Math.min(retryMs * 2, LAST_RETRY_MS);
        }
      }
    }

    void follow();
    return () => {
      stop.abort();
      clearTimeout(pending);
    };
  }, [userId]);

  return live;
}
