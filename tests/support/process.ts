import { MAIN } from "./cli.ts";
import { eventually } from "./wait.ts";

/** A running `main.ts` child process, as an operator would start it. */
export interface EmpathProcess extends AsyncDisposable {
  readonly child: Deno.ChildProcess;
  readonly port: number;
  /** Every log line read so far (parsed JSON objects). */
  readonly logs: Record<string, unknown>[];
  /** Sends a signal and waits for the exit status. */
  stop(signal?: Deno.Signal): Promise<Deno.CommandStatus>;
}

/**
 * Starts `deno run main.ts serve --config <file>` in `cwd` and resolves once the
 * first SMTP listener logs that it is ready, with the port it bound. `env` adds
 * environment variables (e.g. `OTEL_DENO=true`) to the inherited ones.
 * `denoFlags` replaces `--unstable-kv -A` (e.g. the compiled binary's permissions).
 */
export async function spawnEmpath(
  options: {
    cwd: string;
    config?: string;
    args?: string[];
    timeoutMs?: number;
    env?: Record<string, string>;
    denoFlags?: string[];
  },
): Promise<EmpathProcess> {
  const flags = options.denoFlags ?? ["--unstable-kv", "-A"];
  const args = ["run", ...flags, MAIN, "serve", ...(options.args ?? [])];
  if (options.config !== undefined) args.push("--config", options.config);
  const child = new Deno.Command(Deno.execPath(), {
    args,
    cwd: options.cwd,
    env: options.env,
    stdin: "null",
    stdout: "null",
    stderr: "piped",
  }).spawn();
  const logs: Record<string, unknown>[] = [];
  const ready = readLogs(child.stderr, logs);
  let timer: ReturnType<typeof setTimeout> | undefined;
  const port = await Promise.race([
    ready,
    new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new Error("Empath did not become ready")),
        options.timeoutMs ?? 30_000,
      );
    }),
  ]).finally(() => clearTimeout(timer));
  let status: Promise<Deno.CommandStatus> | undefined;
  const stop = (signal: Deno.Signal = "SIGTERM") => {
    if (status === undefined) {
      try {
        child.kill(signal);
      } catch {
        // already exited
      }
      status = child.status;
    }
    return status;
  };
  return { child, port, logs, stop, [Symbol.asyncDispose]: async () => void await stop("SIGKILL") };
}

/** The control API of a daemon started by {@linkcode spawnEmpath}. */
export interface ControlApi {
  /** `http://127.0.0.1:<port>`. */
  readonly url: string;
  /** The token the daemon wrote to its token file. */
  readonly token: string;
}

/**
 * Finds the control API of `proc`: the port its "Control API ready" log line names (waited
 * for), and the token in `tokenFile` (the configured `token_file`).
 */
export async function controlApi(proc: EmpathProcess, tokenFile: string): Promise<ControlApi> {
  const port = await eventually(() => Promise.resolve(controlPortOf(proc.logs)));
  const token = (await Deno.readTextFile(tokenFile)).trim();
  return { url: `http://127.0.0.1:${port}`, token };
}

function controlPortOf(logs: readonly Record<string, unknown>[]): number | undefined {
  for (const log of logs) {
    const properties = log.properties as Record<string, unknown> | undefined;
    if (String(log.message).startsWith("Control API ready") && properties !== undefined) {
      return typeof properties.port === "number" ? properties.port : undefined;
    }
  }
  return undefined;
}

function readLogs(stream: ReadableStream<Uint8Array>, logs: Record<string, unknown>[]) {
  return new Promise<number>((resolve, reject) => {
    let pending = "";
    const decoder = new TextDecoder();
    (async () => {
      for await (const chunk of stream) {
        pending += decoder.decode(chunk, { stream: true });
        let newline;
        while ((newline = pending.indexOf("\n")) >= 0) {
          const line = pending.slice(0, newline);
          pending = pending.slice(newline + 1);
          const record = parseLine(line);
          logs.push(record);
          const port = readyPort(record);
          if (port !== undefined) resolve(port);
        }
      }
      reject(new Error(`Empath exited before it was ready: ${JSON.stringify(logs.slice(-5))}`));
    })().catch(reject);
  });
}

function parseLine(line: string): Record<string, unknown> {
  try {
    return JSON.parse(line);
  } catch {
    return { message: line };
  }
}

function readyPort(record: Record<string, unknown>): number | undefined {
  const message = String(record.message ?? record.msg ?? "");
  if (!message.startsWith("SMTP listener") || !message.includes("ready on")) return undefined;
  const properties = (record.properties ?? record) as Record<string, unknown>;
  if (typeof properties.port === "number") return properties.port;
  const match = /:(\d+)"?$/.exec(message);
  return match ? Number(match[1]) : undefined;
}
