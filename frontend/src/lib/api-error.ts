import type { components } from "./api-schema";

/** What went wrong with a call to the Tasks API, in words a person can act on. */
export class ApiError extends Error {
  constructor(
    /** The HTTP status, or 0 when no answer came back at all. */
    readonly status: number,
    message: string,
    /** A 422's messages by field name (`title`, `description`, `body`, a query parameter). */
    readonly fieldErrors: Readonly<Record<string, string>> = {},
    /** Seconds to wait before trying again (`Retry-After` of a 409, 429 or 503), if given. */
    readonly retryAfter: number | null = null,
    /** A 412's `ETag`: the task's tag now, which a deliberate second attempt may send. */
    readonly currentEtag: string | null = null,
  ) {
    super(message);
    this.name = "ApiError";
  }

  /** The service cannot answer now (down, unreachable or its store unavailable). */
  get isUnavailable(): boolean {
    return this.status === 0 || this.status === 502 || this.status === 503 || this.status === 504;
  }
}

type ErrorBody = Partial<components["schemas"]["ErrorBody"]>;

/** The first message for each field of a 422. */
function fieldErrorsOf(errors: ErrorBody["errors"]): Record<string, string> {
  const byField: Record<string, string> = {};
  for (const { field, message } of Array.isArray(errors) ? errors : []) {
    byField[field] ??= message;
  }
  return byField;
}

/** Told on a 412: the edit was refused because another one came first. */
const EDIT_CONFLICT_MESSAGE =
  "This task was changed in another tab or on another device while you were editing it, so your edit was not saved. " +
  "The list now shows that change; save again to replace it with yours, or cancel to keep it.";

/** `Retry-After` in seconds, when it is a positive number. */
function retryAfterOf(response: Response): number | null {
  const seconds = Number(response.headers.get("Retry-After"));
  return seconds > 0 ? seconds : null;
}

/** Builds the error for a non-2xx answer from its JSON body `{detail, errors?}`. */
export function apiErrorFromResponse(response: Response, body: unknown): ApiError {
  const { detail, errors } = (body && typeof body === "object" ? body : {}) as ErrorBody;
  const text = typeof detail === "string" && detail ? detail : `The tasks service answered ${response.status}.`;
  const retryAfter = retryAfterOf(response);
  switch (response.status) {
    case 503: {
      const when = retryAfter ? ` Try again in ${retryAfter} seconds.` : " Try again shortly.";
      return new ApiError(503, `The tasks service is unavailable right now (${text}).${when}`, {}, retryAfter);
    }
    case 412:
      return new ApiError(412, EDIT_CONFLICT_MESSAGE, {}, null, response.headers.get("ETag"));
    default:
      return new ApiError(response.status, text, fieldErrorsOf(errors), retryAfter);
  }
}

export function unreachable(apiUrl: string): ApiError {
  return new ApiError(
    0,
    `The tasks service at ${apiUrl} cannot be reached. It may be down or restarting; your tasks are safe. Try again in a moment.`,
  );
}

/** Any thrown value as an ApiError, so the page always has a sentence to show. */
export function asApiError(error: unknown): ApiError {
  if (error instanceof ApiError) return error;
  return new ApiError(0, error instanceof Error ? error.message : "Something went wrong. Please try again.");
}
