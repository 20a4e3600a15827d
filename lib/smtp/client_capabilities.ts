/**
 * Parsing of EHLO/LHLO replies into {@link ServerCapabilities}.
 *
 * @module
 */
import type { Reply } from "./reply.ts";
import type { ServerCapabilities } from "./client_types.ts";

/** The capabilities of a server that answered HELO: no extensions. */
export const NO_CAPABILITIES: ServerCapabilities = Object.freeze({
  pipelining: false,
  eightBitMime: false,
  smtputf8: false,
  starttls: false,
  chunking: false,
  enhancedStatusCodes: false,
  auth: Object.freeze([]),
  dsn: false,
});

const SIZE_VALUE_REGEXP = /^\d{1,15}$/;

/**
 * Reads the extensions from an EHLO or LHLO reply (RFC 5321 §4.1.1.1): the
 * first line is the server's name, each further line a keyword with
 * parameters. Keywords are case-insensitive; unknown ones are ignored; the
 * obsolete `AUTH=PLAIN` form is understood.
 *
 * @param reply The 250 reply to EHLO or LHLO.
 * @returns The capabilities.
 *
 * @example
 * ```ts
 * import { parseCapabilities } from "./client_capabilities.ts";
 * import assert from "node:assert/strict";
 * const caps = parseCapabilities({
 *   code: 250,
 *   lines: ["mx.example", "PIPELINING", "SIZE 1000", "auth plain login"],
 * });
 * assert.equal(caps.pipelining, true);
 * assert.equal(caps.size, 1000);
 * assert.deepEqual(caps.auth, ["PLAIN", "LOGIN"]);
 * ```
 */
export function parseCapabilities(reply: Reply): ServerCapabilities {
  const caps: { -readonly [K in keyof ServerCapabilities]: ServerCapabilities[K] } = {
    ...NO_CAPABILITIES,
    auth: [],
  };
  for (const line of reply.lines.slice(1)) {
    const [rawKeyword, ...params] = line.trim().split(/ +/);
    const [keyword, legacy] = rawKeyword.toUpperCase().split("=", 2);
    switch (keyword) {
      case "PIPELINING":
        caps.pipelining = true;
        break;
      case "SIZE":
        caps.size = params.length > 0 && SIZE_VALUE_REGEXP.test(params[0]) ? Number(params[0]) : 0;
        break;
      case "8BITMIME":
        caps.eightBitMime = true;
        break;
      case "SMTPUTF8":
        caps.smtputf8 = true;
        break;
      case "STARTTLS":
        caps.starttls = true;
        break;
      case "CHUNKING":
        caps.chunking = true;
        break;
      case "ENHANCEDSTATUSCODES":
        caps.enhancedStatusCodes = true;
        break;
      case "DSN":
        caps.dsn = true;
        break;
      case "AUTH": {
        const mechanisms = legacy === undefined ? params : [legacy, ...params];
        for (const mechanism of mechanisms) {
          const name = mechanism.toUpperCase();
          if (name !== "" && !caps.auth.includes(name)) caps.auth = [...caps.auth, name];
        }
        break;
      }
    }
  }
  return caps;
}
