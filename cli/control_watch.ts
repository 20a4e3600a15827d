import type { Command } from "commander";
import type { MailEvent } from "../lib/observe/mod.ts";
import { ControlApiError } from "./control_client.ts";
import { formatTime } from "./control_format.ts";
import type { ControlRun } from "./control_run.ts";

/**
 * `empath control queue watch [--id ID] [--domain D] [--count N]`: follows
 * `GET /v1/events` and prints one line per delivery event (JSON lines with
 * `--json`) until the stream ends, `--count` events were shown, or Ctrl-C.
 */
export async function watchEvents(run: ControlRun, command: Command): Promise<void> {
  const options = command.opts<{ id?: string; domain?: string; count?: string }>();
  const limit = options.count === undefined ? Infinity : Number(options.count);
  const response = await run.client.v1.events.$get({
    query: { id: options.id, domain: options.domain },
  });
  if (!response.ok || response.body === null) {
    throw new ControlApiError(response.status, `Cannot follow events (HTTP ${response.status})`);
  }
  let shown = 0;
  for await (const event of sseEvents(response.body)) {
    run.io.writeOut(run.json ? `${JSON.stringify(event)}\n` : formatEvent(event));
    if (++shown >= limit) break;
  }
}

function formatEvent(event: MailEvent): string {
  const parts = [formatTime(event.at), event.type.padEnd(9), event.id];
  if (event.recipient) parts.push(event.recipient);
  else if (event.domain) parts.push(event.domain);
  if (event.detail) parts.push(event.detail);
  return parts.join("  ") + "\n";
}

/** Parses a Server-Sent Events body into its data payloads, skipping "ready" and comments. */
async function* sseEvents(body: ReadableStream<Uint8Array>): AsyncGenerator<MailEvent> {
  const reader = body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = "";
  try {
    while (true) {
      const { value, done } = await reader.read();
      if (done) return;
      buffer += value;
      let end;
      while ((end = buffer.indexOf("\n\n")) >= 0) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        const type = /^event: (.*)$/m.exec(block)?.[1];
        const data = /^data: (.*)$/m.exec(block)?.[1];
        if (type === undefined || type === "ready" || data === undefined) continue;
        yield JSON.parse(data) as MailEvent;
      }
    }
  } finally {
    await reader.cancel().catch(() => {});
  }
}
