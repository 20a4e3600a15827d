import { getTextFormatter, type LogRecord, type TextFormatter } from "@logtape/logtape";
import { activeSpanContext } from "./tracing.ts";

/** Replaces values JSON cannot hold: bigint as a decimal string, errors as their fields. */
function jsonReplacer(_key: string, value: unknown): unknown {
  if (typeof value === "bigint") return value.toString();
  if (value instanceof Error) {
    return { name: value.name, message: value.message, stack: value.stack };
  }
  if (value instanceof Uint8Array) return `<${value.length} bytes>`;
  return value;
}

function toJson(value: unknown): string {
  try {
    return JSON.stringify(value, jsonReplacer) ?? "null";
  } catch {
    return JSON.stringify(String(value));
  }
}

/** Renders a record's message: text parts as they are, values as JSON (strings unquoted). */
export function renderMessage(message: readonly unknown[]): string {
  let text = "";
  for (const [index, part] of message.entries()) {
    text += index % 2 === 0 || typeof part === "string" ? String(part) : toJson(part);
  }
  return text;
}

/**
 * One JSON object per line:
 * `{"timestamp":"…","level":"info","category":"empath.smtp","message":"…","properties":{…}}`,
 * with `"trace_id"` and `"span_id"` after `"message"` when written inside an active span
 * (read from `@opentelemetry/api` as the record is formatted, in the caller's context).
 */
export const jsonLineFormatter: TextFormatter = (record: LogRecord): string => {
  const span = activeSpanContext();
  const line = {
    timestamp: new Date(record.timestamp).toISOString(),
    level: record.level,
    category: record.category.join("."),
    message: renderMessage(record.message),
    ...(span === undefined ? {} : { trace_id: span.traceId, span_id: span.spanId }),
    properties: record.properties,
  };
  return `${toJson(line)}\n`;
};

function formatProperties(properties: Record<string, unknown>): string {
  let text = "";
  for (const [key, value] of Object.entries(properties)) {
    const shown = typeof value === "string" && /^[^\s"=]+$/.test(value) ? value : toJson(value);
    text += ` ${key}=${shown}`;
  }
  return text;
}

/**
 * Readable lines: `2024-05-01 12:00:00.000 +00:00 [INF] empath.smtp: message key=value`, ending
 * with ` trace_id=… span_id=…` inside an active span.
 */
export const textLineFormatter: TextFormatter = getTextFormatter({
  category: ".",
  format: ({ timestamp, level, category, message, record }) => {
    const span = activeSpanContext();
    const ids = span === undefined ? "" : ` trace_id=${span.traceId} span_id=${span.spanId}`;
    return `${timestamp} [${level}] ${category}: ${message}${
      formatProperties(record.properties)
    }${ids}`;
  },
});
