"use client";

import Link from "next/link";
import { useRouter } from "next/navigation";
import { useState, type FormEvent } from "react";
import { useAuth } from "@/hooks/useAuth";

type Mode = "sign-in" | "sign-up";

const TEXT: Record<Mode, { heading: string; submit: string; busy: string; other: string; otherHref: string; otherLink: string }> = {
  "sign-in": {
    heading: "Sign in",
    submit: "Sign in",
    busy: "Signing in…",
    other: "No account yet?",
    otherHref: "/signup",
    otherLink: "Create one",
  },
  "sign-up": {
    heading: "Create your account",
    submit: "Create account",
    busy: "Creating account…",
    other: "Already have an account?",
    otherHref: "/login",
    otherLink: "Sign in",
  },
};

/** Sign-in and sign-up share one form; sign-up adds the name field. */
export function AuthForm({ mode }: { mode: Mode }) {
  const { signIn, signUp } = useAuth();
  const router = useRouter();
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const text = TEXT[mode];

  async function onSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    const email = String(form.get("email") ?? "");
    const password = String(form.get("password") ?? "");
    setBusy(true);
    setError(null);
    try {
      const result =
        mode === "sign-up" ? await signUp(email, password, String(form.get("name") ?? "")) : await signIn(email, password);
      if (result.error) {
        setError(result.error.message || result.error.statusText || "That did not work. Please try again.");
        return;
      }
      router.replace("/dashboard");
    } catch {
      setError("The sign-in service cannot be reached. Check your connection and try again.");
    } finally {
      setBusy(false);
    }
  }

  return (
    <main className="auth-page">
      <h1>{text.heading}</h1>
      <form className="card" onSubmit={onSubmit} aria-describedby={error ? "auth-error" : undefined}>
        {error && (
          <div className="alert alert-error" role="alert" id="auth-error">
            <p>{error}</p>
          </div>
        )}
        {mode === "sign-up" && (
          <div className="field">
            <label htmlFor="name">Name</label>
            <input id="name" name="name" type="text" autoComplete="name" required />
          </div>
        )}
        <div className="field">
          <label htmlFor="email">Email</label>
          <input id="email" name="email" type="email" autoComplete="email" required />
        </div>
        <div className="field">
          <label htmlFor="password">Password</label>
          <input
            id="password"
            name="password"
            type="password"
            autoComplete={mode === "sign-up" ? "new-password" : "current-password"}
            minLength={mode === "sign-up" ? 8 : undefined}
            aria-describedby={mode === "sign-up" ? "password-hint" : undefined}
            required
          />
          {mode === "sign-up" && (
            <p className="hint" id="password-hint">
              At least 8 characters.
            </p>
          )}
        </div>
        <button type="submit" className="primary" disabled={busy}>
          {busy ? text.busy : text.submit}
        </button>
      </form>
      <p className="auth-switch">
        {text.other} <Link href={text.otherHref}>{text.otherLink}</Link>
      </p>
    </main>
  );
}
