import { betterAuth } from "better-auth";
import { jwt } from "better-auth/plugins";
import { openAuthDatabase } from "./auth-database";

/**
 * Better Auth on the server: email and password accounts, and the `jwt()` plugin, which
 * signs short-lived EdDSA tokens that the Tasks API verifies through
 * `${BETTER_AUTH_URL}/api/auth/jwks`. BETTER_AUTH_URL and BETTER_AUTH_SECRET are read from
 * the environment by Better Auth itself.
 */
export const authOptions = {
  database: openAuthDatabase(),
  emailAndPassword: { enabled: true },
  plugins: [jwt()],
  telemetry: { enabled: false },
};

export const auth = betterAuth(authOptions);
