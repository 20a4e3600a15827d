import type { Context } from "hono";
import { HTTPException } from "hono/http-exception";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import { getLogger } from "../observe/mod.ts";

const logger = getLogger(["empath", "control"]);

const ERROR_CODES: Readonly<Record<number, string>> = {
  400: "invalid_request",
  401: "unauthorized",
  403: "forbidden",
  404: "not_found",
  405: "method_not_allowed",
  409: "conflict",
  413: "payload_too_large",
  415: "unsupported_media_type",
  503: "unavailable",
};

/** The JSON body of every error response. */
export interface ErrorBody {
  error: { code: string; message: string };
}

/** Builds an `HTTPException` the error handler renders as `{ error: { code, message } }`. */
export function apiError(
  status: ContentfulStatusCode,
  message: string,
  cause?: unknown,
): HTTPException {
  return new HTTPException(status, { message, cause });
}

/**
 * The one boundary mapper of the control API: `HTTPException`s keep their
 * status and message; anything else is a 500 without internals.
 */
export function renderError(error: Error, c: Context): Response {
  if (error instanceof HTTPException && error.status < 500) {
    const status = error.status as ContentfulStatusCode;
    if (status === 401) c.header("WWW-Authenticate", 'Bearer realm="empath"');
    const code = ERROR_CODES[status] ?? "error";
    return c.json<ErrorBody>({ error: { code, message: error.message || code } }, status);
  }
  logger.error("Control API request {method} {path} failed: {error}", {
    method: c.req.method,
    path: c.req.path,
    error,
  });
  return c.json<ErrorBody>(
    { error: { code: "internal", message: "Internal server error" } },
    500,
  );
}
