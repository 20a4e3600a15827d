/** What the CLI reads and writes, injectable so commands run in-process in tests. */
export interface CliIo {
  /** Writes to standard output. */
  writeOut(text: string): void;
  /** Writes raw bytes to standard output (a message body); without it, bytes are decoded as UTF-8. */
  writeOutBytes?(bytes: Uint8Array): void;
  /** Writes to standard error. */
  writeErr(text: string): void;
  /** Reads all of standard input as text. */
  readStdin(): Promise<string>;
  /**
   * Prompts on the terminal and reads one line without echo; `undefined` when standard input
   * is not a terminal.
   */
  readSecret(prompt: string): Promise<string | undefined>;
  /**
   * Asks a yes/no question on the terminal; `undefined` when standard input is not a terminal.
   * Without it, the CLI behaves as if there were no terminal.
   */
  confirm?(question: string): Promise<boolean | undefined>;
  /** Reads an environment variable; without it, the CLI sees none. */
  getEnv?(name: string): string | undefined;
}

const encoder = new TextEncoder();

function writeAll(output: { writeSync(bytes: Uint8Array): number }, text: string): void {
  writeAllBytes(output, encoder.encode(text));
}

function writeAllBytes(output: { writeSync(bytes: Uint8Array): number }, bytes: Uint8Array): void {
  let written = 0;
  while (written < bytes.length) written += output.writeSync(bytes.subarray(written));
}

const ENTER_BYTES = new Set([0x0a, 0x0d]);
const ERASE_BYTES = new Set([0x08, 0x7f]);
const INTERRUPT_BYTES = new Set([0x03, 0x04]);

async function readSecretLine(): Promise<string> {
  const bytes: number[] = [];
  const buffer = new Uint8Array(64);
  Deno.stdin.setRaw(true);
  try {
    while (true) {
      const count = await Deno.stdin.read(buffer);
      if (count === null) break;
      for (const byte of buffer.subarray(0, count)) {
        if (ENTER_BYTES.has(byte)) return new TextDecoder().decode(new Uint8Array(bytes));
        if (INTERRUPT_BYTES.has(byte)) throw new Error("Password entry interrupted");
        if (ERASE_BYTES.has(byte)) bytes.pop();
        else bytes.push(byte);
      }
    }
    return new TextDecoder().decode(new Uint8Array(bytes));
  } finally {
    Deno.stdin.setRaw(false);
  }
}

/**
 * The real process streams: `Deno.stdout`, `Deno.stderr` and `Deno.stdin`.
 *
 * @returns The I/O used by `main.ts`.
 */
export function denoCliIo(): CliIo {
  return {
    writeOut: (text) => writeAll(Deno.stdout, text),
    writeOutBytes: (bytes) => writeAllBytes(Deno.stdout, bytes),
    writeErr: (text) => writeAll(Deno.stderr, text),
    readStdin: () => new Response(Deno.stdin.readable).text(),
    readSecret: async (prompt) => {
      if (!Deno.stdin.isTerminal()) return undefined;
      writeAll(Deno.stderr, prompt);
      try {
        return await readSecretLine();
      } finally {
        writeAll(Deno.stderr, "\n");
      }
    },
    confirm: (question) => {
      if (!Deno.stdin.isTerminal()) return Promise.resolve(undefined);
      const answer = prompt(`${question} [y/N]`);
      return Promise.resolve(/^y(es)?$/i.test(answer?.trim() ?? ""));
    },
    getEnv: (name) => Deno.env.get(name),
  };
}
