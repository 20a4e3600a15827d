/**
 * The control API's HTTP client for `empath control`: Hono's typed
 * `hc<ControlApp>()` with errors turned into two classes the CLI maps to exit codes.
 *
 * @module
 */
import { hc } from "hono/client";
import type { ControlApp } from "../lib/control/mod.ts";
import type { ControlTarget } from "./control_target.ts";

/** The control API answered with an error status. */
export class ControlApiError extends Error {
  /** The HTTP status. */
  readonly status: number;

  /**
   * @param status The HTTP status.
   * @param message The API's `error.message`, or the status text.
   */
  constructor(status: number, message: string) {
    super(message);
    this.name = "ControlApiError";
    this.status = status;
  }
}

/** Nothing answered at the control API's address. */
export class ControlUnreachableError extends Error {
  /** The base URL tried. */
  readonly url: string;

  /**
   * @param url The base URL tried.
   * @param options The network error.
   */
  constructor(url: string, options?: ErrorOptions) {
    const reason = options?.cause instanceof Error ? `: ${options.cause.message}` : "";
    super(`Cannot connect to the control API at ${url}${reason}`, options);
    this.name = "ControlUnreachableError";
    this.url = url;
  }
}

/** Hono's typed client for the control API. */
export type ControlClient = ReturnType<typeof hc<ControlApp>>;

/**
 * Builds a typed client that sends the bearer token and reports a failed
 * connection as {@linkcode ControlUnreachableError}.
 *
 * @param target The base URL and token.
 * @returns The client; pass its calls to {@linkcode expectJson}.
 *
 * @example Usage
 * ```ts ignore
 * const client = createControlClient({ url: "http://127.0.0.1:8025", token });
 * const stats = await expectJson(client.v1.queue.stats.$get());
 * ```
 */
export function createControlClient(target: ControlTarget): ControlClient {
  return hc<ControlApp>(target.url, {
    headers: { Authorization: `Bearer ${target.token}` },
    fetch: async (input: RequestInfo | URL, init?: RequestInit) => {
      try {
        return await fetch(input, init);
      } catch (error) {
        throw new ControlUnreachableError(target.url, { cause: error });
      }
    },
  });
}

/**
 * Waits for a response and returns its JSON body, or throws the API's error.
 *
 * @param response A call of the typed client.
 * @returns The parsed body.
 * @throws {ControlApiError} For a status other than 2xx, with the API's `error.message`.
 * @throws {ControlUnreachableError} If nothing answered.
 */
export async function expectJson<T>(
  response: Promise<{ ok: boolean; status: number; json(): Promise<T>; text(): Promise<string> }>,
): Promise<T> {
  const res = await response;
  if (res.ok) return await res.json();
  throw new ControlApiError(res.status, errorMessage(await res.text(), res.status));
}

function errorMessage(text: string, status: number): string {
  try {
    const body = JSON.parse(text);
    const message = body?.error?.message;
    if (typeof message === "string" && message !== "") return message;
  } catch {
    // Not JSON: fall through to the body text or the status.
  }
  return text.trim() === "" ? `Request failed with HTTP ${status}` : text.trim().slice(0, 200);
}
