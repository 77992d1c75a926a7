import type { ApiError } from "@/lib/api-error";

/** An API failure as a sentence, with the action that may help. */
export function Alert({ error, action, actionLabel }: { error: ApiError; action?: () => void; actionLabel?: string }) {
  return (
    <div className={error.isUnavailable ? "alert alert-warning" : "alert alert-error"} role="alert">
      <p>{error.message}</p>
      {action && (
        <button type="button" onClick={action}>
          {actionLabel}
        </button>
      )}
    </div>
  );
}
