"use client";

import { authClient } from "@/lib/auth-client";
import { forgetReadPages } from "@/lib/api";
import { forgetApiToken, getApiToken } from "@/lib/token";

/** The signed-in user's session and the account actions, as the pages use them. */
export function useAuth() {
  const session = authClient.useSession();

  // Better Auth refreshes the session store after a sign-in on its own, but possibly only
  // after the next page has rendered and found no user there: wait for it before going on.
  const signedIn = async <T extends { error: unknown }>(result: T): Promise<T> => {
    if (!result.error) await session.refetch();
    return result;
  };

  const signUp = async (email: string, password: string, name: string) =>
    signedIn(await authClient.signUp.email({ email, password, name }));

  const signIn = async (email: string, password: string) =>
    signedIn(await authClient.signIn.email({ email, password }));

  const signOut = async () => {
    forgetApiToken();
    forgetReadPages();
    return authClient.signOut();
  };

  return {
    session: session.data,
    user: session.data?.user ?? null,
    isLoading: session.isPending,
    isAuthenticated: !!session.data,
    signUp,
    signIn,
    signOut,
    getToken: () => getApiToken(),
  };
}
