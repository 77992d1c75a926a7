/** Runs once when the Next.js server starts: Better Auth's tables exist before any request. */
export async function register() {
  if (process.env.NEXT_RUNTIME === "nodejs") {
    const { migrateAuthDatabase } = await import("./lib/auth-migrate");
    await migrateAuthDatabase();
  }
}
