import type { NextConfig } from "next";

const nextConfig: NextConfig = {
  // A self-contained server (.next/standalone/server.js) for the container image.
  output: "standalone",
  // Native and Node-only drivers stay plain `require`s on the server.
  serverExternalPackages: ["better-sqlite3", "pg"],
  poweredByHeader: false,
};

export default nextConfig;
