import { createAuthClient } from "better-auth/react";
import { jwtClient } from "better-auth/client/plugins";

/**
 * The browser's Better Auth client. The app and Better Auth share one origin, so no base
 * URL is configured: requests go to this page's `/api/auth`.
 */
export const authClient = createAuthClient({
  plugins: [jwtClient()],
});
