// Child processes for the browser tests: each one's output goes to a log file under
// test-output/logs/, waits are bounded, and every child is killed when the test run ends,
// on failure too.

import { spawn } from "node:child_process";
import { createWriteStream, mkdirSync } from "node:fs";
import { createServer } from "node:net";
import { join } from "node:path";
import { OUTPUT_DIR } from "./paths.mjs";

const liveChildren = new Set();
/** Log files already started by this run: a process started again under the same name appends. */
const startedLogs = new Set();
process.on("exit", () => {
  for (const child of liveChildren) {
    try {
      process.kill(-child.pid, "SIGKILL");
    } catch {}
  }
});

export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** A TCP port free on 127.0.0.1 right now. */
export function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/**
 * Starts `command` in its own process group (so its children stop with it) with exactly
 * `env` plus PATH and HOME; output goes to test-output/logs/NAME.log (appended to when the
 * same name is started again in this run).
 */
export function startProcess(name, command, args, { env, cwd }) {
  mkdirSync(join(OUTPUT_DIR, "logs"), { recursive: true });
  const log = createWriteStream(join(OUTPUT_DIR, "logs", `${name}.log`), { flags: startedLogs.has(name) ? "a" : "w" });
  startedLogs.add(name);
  const child = spawn(command, args, {
    cwd,
    env: { PATH: process.env.PATH, HOME: process.env.HOME || "/tmp", ...env },
    stdio: ["ignore", "pipe", "pipe"],
    detached: true,
  });
  liveChildren.add(child);
  let output = "";
  for (const stream of [child.stdout, child.stderr]) {
    stream.setEncoding("utf8");
    stream.on("data", (chunk) => {
      log.write(chunk);
      output = (output + chunk).slice(-20_000);
    });
  }
  const exited = new Promise((resolve) =>
    child.once("exit", (code, signal) => {
      liveChildren.delete(child);
      log.end();
      resolve({ code, signal });
    }),
  );

  /** Resolves with the first match of `pattern` in the output; rejects on exit or after `ms`. */
  async function waitForOutput(pattern, ms) {
    const deadline = Date.now() + ms;
    let gone = false;
    exited.then(() => (gone = true));
    for (;;) {
      const match = output.match(pattern);
      if (match) return match;
      if (gone) throw new Error(`${name} exited before printing ${pattern}\n${output.slice(-3000)}`);
      if (Date.now() > deadline) throw new Error(`${name}: no ${pattern} within ${ms} ms\n${output.slice(-3000)}`);
      await sleep(100);
    }
  }

  /** SIGTERM to the whole group, SIGKILL after `graceMs`; resolves once the child is gone. */
  async function stop(graceMs = 10_000) {
    if (child.exitCode !== null || child.signalCode !== null) return exited;
    const signalGroup = (signal) => {
      try {
        process.kill(-child.pid, signal);
      } catch {}
    };
    signalGroup("SIGTERM");
    const timer = setTimeout(() => signalGroup("SIGKILL"), graceMs);
    const result = await exited;
    clearTimeout(timer);
    return result;
  }

  return { child, waitForOutput, stop, exited, output: () => output };
}

/** Polls `url` until it answers `status`, for at most `ms`. */
export async function waitForStatus(url, status, ms) {
  const deadline = Date.now() + ms;
  let last = "no answer";
  while (Date.now() < deadline) {
    const response = await fetch(url, { signal: AbortSignal.timeout(5_000) }).catch((error) => error);
    if (response instanceof Response) {
      if (response.status === status) return response;
      last = `${response.status} ${await response.text().catch(() => "")}`;
    } else {
      last = String(response);
    }
    await sleep(250);
  }
  throw new Error(`${url}: not ${status} within ${ms} ms (last: ${last})`);
}
