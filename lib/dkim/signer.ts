import { RelaxedBodyHash } from "./_canonical.ts";
import { fromDomain } from "./_from_domain.ts";
import { type HeaderField, HeaderFieldCollector } from "../smtp/mod.ts";
import { signatureField } from "./_signature.ts";
import type { DkimKey } from "./keys.ts";

/**
 * Header bytes a signer keeps at most (the fields it signs plus the line being
 * read). A message whose signed fields are larger is queued unsigned.
 */
export const MAX_SIGNED_HEADER_BYTES = 256 * 1024;

/** Starts signers; the port the SMTP intake and the control API sign through. */
export interface MessageSigning {
  /** A signer for one message, or `undefined` when no key is configured. */
  start(): MessageSigner | undefined;
}

/** One signature made by {@linkcode MessageSigner.finish}. */
export interface SignatureInfo {
  /** The signing domain (`d=`). */
  readonly domain: string;
  /** The selector (`s=`). */
  readonly selector: string;
  /** The key type, `"rsa"` or `"ed25519"`. */
  readonly algorithm: string;
}

/** What {@linkcode MessageSigner.finish} produced. */
export type SigningResult =
  | {
    readonly kind: "signed";
    /** The `DKIM-Signature:` fields, each ending with CRLF, to put before the message. */
    readonly header: string;
    readonly signatures: readonly SignatureInfo[];
  }
  | {
    readonly kind: "unsigned";
    /** Why nothing was signed, such as `no key for From domain "other.test"`. */
    readonly reason: string;
  };

type SignerPhase =
  | { kind: "header"; collector: HeaderFieldCollector }
  | { kind: "body"; fields: readonly HeaderField[]; keys: readonly DkimKey[] }
  | { kind: "unsigned"; reason: string }
  | { kind: "finished" };

/**
 * Signs the messages whose `From:` domain has a key (RFC 6376 with relaxed/relaxed
 * canonicalization and SHA-256; RSA or Ed25519 per RFC 8463). Which messages are
 * offered for signing at all (submitted mail only) is the caller's decision.
 *
 * A domain's keys all sign (an RSA and an Ed25519 key give two signatures); a
 * key with `subdomains` also signs for names below its domain, and the most
 * specific configured domain wins. {@linkcode reconfigure} swaps the keys for
 * messages started afterwards.
 *
 * @example Usage
 * ```ts
 * import { DkimSigner } from "./signer.ts";
 * import assert from "node:assert/strict";
 *
 * const signer = new DkimSigner([]);
 * assert.equal(signer.start(), undefined); // no keys: nothing to sign with
 * ```
 */
export class DkimSigner implements MessageSigning {
  #keys: readonly DkimKey[] = [];
  #wanted: ReadonlySet<string> = new Set();
  readonly #now: () => number;

  /**
   * @param keys Keys from `loadDkimKeys()`.
   * @param options `now` gives the signing time (`t=`), in milliseconds.
   */
  constructor(keys: readonly DkimKey[], options: { now?: () => number } = {}) {
    this.#now = options.now ?? Date.now;
    this.reconfigure(keys);
  }

  /** The keys in use. */
  get keys(): readonly DkimKey[] {
    return this.#keys;
  }

  /** Replaces the keys, for messages started from now on (a reload). */
  reconfigure(keys: readonly DkimKey[]): void {
    this.#keys = [...keys];
    const names = keys.flatMap((key) => [...key.headers, ...key.oversign]);
    this.#wanted = new Set(["from", ...names.map((name) => name.toLowerCase())]);
  }

  start(): MessageSigner | undefined {
    if (this.#keys.length === 0) return undefined;
    const keys = this.#keys;
    return new MessageSigner({
      wanted: this.#wanted,
      keysFor: (domain) => keysFor(keys, domain),
      now: this.#now,
    });
  }
}

/** The keys that sign for `domain`: those of the most specific matching domain. */
export function keysFor(keys: readonly DkimKey[], domain: string): DkimKey[] {
  const matching = keys.filter((key) =>
    key.domain === domain || (key.subdomains && domain.endsWith(`.${key.domain}`))
  );
  const longest = Math.max(0, ...matching.map((key) => key.domain.length));
  return matching.filter((key) => key.domain.length === longest);
}

/** What a {@linkcode MessageSigner} is given by its {@linkcode DkimSigner}. */
export interface MessageSignerOptions {
  /** Lowercased names of every header field some key signs, and `from`. */
  readonly wanted: ReadonlySet<string>;
  /** The keys that sign for a `From:` domain. */
  keysFor(domain: string): readonly DkimKey[];
  /** The current time in milliseconds. */
  now(): number;
}

/**
 * Signs one message fed in chunks as it is spooled: it keeps only the header
 * fields it signs (at most {@linkcode MAX_SIGNED_HEADER_BYTES}), decides at the
 * end of the header section, and hashes the body incrementally, so memory use
 * does not grow with the message.
 */
export class MessageSigner {
  readonly #options: MessageSignerOptions;
  readonly #bodyHash = new RelaxedBodyHash();
  #phase: SignerPhase;

  constructor(options: MessageSignerOptions) {
    this.#options = options;
    const collector = new HeaderFieldCollector(options.wanted, MAX_SIGNED_HEADER_BYTES);
    this.#phase = { kind: "header", collector };
  }

  /** Feeds message octets, in order, split anywhere. */
  update(bytes: Uint8Array): void {
    const phase = this.#phase;
    if (phase.kind === "body") return this.#bodyHash.update(bytes);
    if (phase.kind !== "header") return;
    const progress = phase.collector.push(bytes);
    if (progress.kind === "too-large") {
      this.#phase = { kind: "unsigned", reason: "the signed header fields are too large" };
    } else if (progress.kind === "end") {
      this.#decide(phase.collector.fields);
      if (this.#phase.kind === "body") this.#bodyHash.update(bytes.subarray(progress.bodyStart));
    }
  }

  /**
   * Ends the message and computes the signatures.
   *
   * @throws {DOMException} If a key cannot sign.
   */
  async finish(): Promise<SigningResult> {
    const phase = this.#phase;
    if (phase.kind === "header") {
      phase.collector.finish();
      this.#decide(phase.collector.fields);
      return await this.finish();
    }
    if (phase.kind === "finished") throw new TypeError("Signer already finished");
    this.#phase = { kind: "finished" };
    if (phase.kind === "unsigned") return { kind: "unsigned", reason: phase.reason };
    const bodyHash = this.#bodyHash.digest();
    const time = Math.floor(this.#options.now() / 1000);
    const fields = phase.fields;
    const header = await Promise.all(
      phase.keys.map((key) => signatureField({ key, fields, bodyHash, time })),
    );
    return {
      kind: "signed",
      header: header.join(""),
      signatures: phase.keys.map(({ domain, selector, algorithm }) => ({
        domain,
        selector,
        algorithm,
      })),
    };
  }

  #decide(fields: readonly HeaderField[]): void {
    const from = fields.filter((field) => field.name === "from");
    if (from.length !== 1) {
      const reason = from.length === 0 ? "no From field" : "more than one From field";
      this.#phase = { kind: "unsigned", reason };
      return;
    }
    const text = from[0].text;
    const domain = fromDomain(text.slice(text.indexOf(":") + 1));
    const keys = domain === undefined ? [] : this.#options.keysFor(domain);
    if (keys.length === 0) {
      const reason = domain === undefined
        ? "no address in the From field"
        : `no key for From domain "${domain}"`;
      this.#phase = { kind: "unsigned", reason };
      return;
    }
    this.#phase = { kind: "body", fields, keys };
  }
}
