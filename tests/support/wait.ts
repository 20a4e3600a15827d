/**
 * Polls `probe` every 50 ms until it returns a value other than `undefined`
 * (or `true` for boolean probes), and returns that value; rejects after
 * `timeoutMs`. For waiting on another process (a peer receiving mail, a
 * queue draining), never as a stand-in for a timing assertion.
 */
export async function eventually<T>(
  probe: () => Promise<T | undefined | false>,
  timeoutMs = 10_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const value = await probe();
    if (value !== undefined && value !== false) return value;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`Timed out after ${timeoutMs} ms waiting for a condition`);
}

/** A child daemon started by a test harness, and how to stop it. */
export interface Daemon {
  /** Resolves (with an error naming the exit code and stderr) when the process exits. */
  readonly exited: Promise<Error>;
  /** Sends SIGTERM once and waits for the exit. */
  stop(): Promise<void>;
}

/** Spawns `command` in the foreground with stderr captured for error messages. */
export function spawnDaemon(name: string, command: string, args: string[]): Daemon {
  const child = new Deno.Command(command, { args, stdin: "null", stdout: "null", stderr: "piped" })
    .spawn();
  const stderr = new Response(child.stderr).text();
  const exited = child.status.then(async (status) =>
    new Error(`${name} exited with code ${status.code}: ${(await stderr).trim()}`)
  );
  let stopped: Promise<void> | undefined;
  const stop = () => {
    stopped ??= (async () => {
      try {
        child.kill("SIGTERM");
      } catch {
        // already exited
      }
      await exited;
    })();
    return stopped;
  };
  return { exited, stop };
}
