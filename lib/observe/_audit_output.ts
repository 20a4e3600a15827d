/**
 * Where audit lines go: standard output, or a file opened for appending
 * (created with mode 0600 so that only the owner reads it). Writes are
 * synchronous, so a line is in the file before the event's work goes on.
 *
 * @module
 */
import { dirname } from "node:path";
import { getLogger } from "./logging.ts";

const logger = getLogger(["empath", "audit"]);
const encoder = new TextEncoder();

/** An open audit destination. */
export interface AuditOutput {
  /** Writes one line; never throws (a failure is logged once, without the line). */
  write(line: string): void;
  /** Closes the file, if one is open. */
  close(): void;
}

/** Which destination {@linkcode openAuditOutput} opens. */
export type AuditTarget = { readonly sink: "stdout" } | {
  readonly sink: "file";
  readonly path: string;
};

/**
 * Opens an audit destination. A missing directory of the file is created
 * (mode 0700).
 *
 * @param target Standard output, or a file path.
 * @returns The destination.
 * @throws {Error} If the file cannot be opened, naming it, with the file
 *   system error as `cause`.
 */
export function openAuditOutput(target: AuditTarget): AuditOutput {
  if (target.sink === "stdout") return writerOf(Deno.stdout, "standard output");
  const file = openFile(target.path);
  const writer = writerOf(file, target.path);
  return {
    write: writer.write,
    close: () => {
      try {
        file.close();
      } catch {
        // already closed
      }
    },
  };
}

function openFile(path: string): Deno.FsFile {
  try {
    Deno.mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
    return Deno.openSync(path, { append: true, create: true, mode: 0o600 });
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new Error(`Cannot open the audit file "${path}": ${reason}`, { cause: error });
  }
}

function writerOf(stream: { writeSync(bytes: Uint8Array): number }, name: string): AuditOutput {
  let failing = false;
  return {
    write(line) {
      const bytes = encoder.encode(line);
      try {
        let written = 0;
        while (written < bytes.length) written += stream.writeSync(bytes.subarray(written));
        failing = false;
      } catch (error) {
        // A throwing sink would make logtape report the (unredacted) record elsewhere.
        if (!failing) {
          logger.error("Cannot write the audit trail to {name}: {error}", { name, error });
        }
        failing = true;
      }
    },
    close() {},
  };
}
