"use client";

import { authClient } from "@/lib/auth-client";
import { forgetApiToken, getApiToken } from "@/lib/token";

/** The signed-in user's session and the account actions, as the pages use them. */
export function useAuth() {
  const session = authClient.useSession();

  const signUp = (email: string, password: string, name: string) =>
    authClient.signUp.email({ email, password, name });

  const signIn = (email: string, password: string) => authClient.signIn.email({ email, password });

  const signOut = async () => {
    forgetApiToken();
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
