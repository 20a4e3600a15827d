/**
 * DKIM signing (RFC 6376, with Ed25519 from RFC 8463) of submitted mail at queue
 * time: keys loaded from the `[[dkim]]` PEM files (`loadDkimKeys`), a signer that
 * hashes the body as it is spooled (`DkimSigner`, `MessageSigner`), the spool
 * writer that stores the resulting `DKIM-Signature:` fields with the envelope
 * (`signingSpool`), and key generation with the DNS record to publish
 * (`generateDkimKey`, `dnsRecordLine`).
 *
 * Which messages are offered for signing (submitted mail: authenticated, from a
 * trusted network, or injected through the control API) is decided by the
 * callers; see docs/DKIM.md.
 *
 * @example Usage
 * ```ts
 * import { DkimSigner, loadDkimKeys } from "./mod.ts";
 * import assert from "node:assert/strict";
 *
 * const signer = new DkimSigner(await loadDkimKeys([]));
 * assert.equal(signer.start(), undefined);
 * ```
 *
 * @module
 */

export {
  type DkimKey,
  dnsRecordLine,
  type GeneratedDkimKey,
  generateDkimKey,
  loadDkimKeys,
  MIN_RSA_BITS,
  RSA_BITS,
  splitTxtStrings,
} from "./keys.ts";
export {
  DkimSigner,
  keysFor,
  MAX_SIGNED_HEADER_BYTES,
  type MessageSigner,
  type MessageSignerOptions,
  type MessageSigning,
  type SignatureInfo,
  type SigningResult,
} from "./signer.ts";
export { signingSpool } from "./signing_spool.ts";
