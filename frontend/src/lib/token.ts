import { authClient } from "./auth-client";

/** A token is replaced this long before its `exp`, so it never expires in flight. */
const RENEW_BEFORE_EXPIRY_MS = 60_000;

let cached: { token: string; expiresAt: number } | null = null;
let pending: Promise<string | null> | null = null;

/** Milliseconds since the epoch at which the JWT expires (0 when it cannot be read). */
function expiryOf(token: string): number {
  try {
    const payload = token.split(".")[1] ?? "";
    const json = atob(payload.replace(/-/g, "+").replace(/_/g, "/"));
    const exp = (JSON.parse(json) as { exp?: unknown }).exp;
    return typeof exp === "number" ? exp * 1000 : 0;
  } catch {
    return 0;
  }
}

async function fetchToken(): Promise<string | null> {
  const { data } = await authClient.token();
  const token = data?.token ?? null;
  cached = token ? { token, expiresAt: expiryOf(token) } : null;
  return token;
}

/**
 * The JWT for the Tasks API: the one already held while it has more than a minute left,
 * else a new one from Better Auth (`authClient.token()`); null when signed out.
 * Concurrent callers share one request.
 */
export async function getApiToken({ fresh = false } = {}): Promise<string | null> {
  if (!fresh && cached && cached.expiresAt - RENEW_BEFORE_EXPIRY_MS > Date.now()) {
    return cached.token;
  }
  pending ??= fetchToken().finally(() => {
    pending = null;
  });
  return pending;
}

/** Forgets the held token (on sign-out, so the next user never reuses it). */
export function forgetApiToken(): void {
  cached = null;
}
