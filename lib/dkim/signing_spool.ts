import type { EnvelopeInit, QueuedMessage, SpoolWriter } from "../queue/mod.ts";
import { SpoolError } from "../queue/mod.ts";
import { getLogger } from "../observe/mod.ts";
import type { MessageSigner } from "./signer.ts";

const logger = getLogger(["empath", "dkim"]);

/**
 * A spool writer that signs what it spools: every chunk goes to the signer as it
 * is written to the queue, and at commit the `DKIM-Signature:` fields become the
 * envelope's `headerPrefix`, stored in the same atomic commit and sent first by
 * `readBody()`. No chunk is held back, so memory use does not grow with the message.
 *
 * A message the signer declines (no key for its `From:` domain, no single From
 * field) is committed unsigned; a key that fails to sign fails the commit with
 * `SpoolError` (the client retries, as with OpenDKIM's default tempfail).
 *
 * @example Usage
 * ```ts
 * import { openMemoryQueue } from "../queue/mod.ts";
 * import { DkimSigner, signingSpool } from "./mod.ts";
 *
 * await using queue = openMemoryQueue({ clock: { now: () => Date.now() } });
 * const signer = new DkimSigner([]).start(); // undefined without keys
 * const spool = signer ? signingSpool(queue.createSpool(), signer) : queue.createSpool();
 * await spool.write(new TextEncoder().encode("From: a@example.test\r\n\r\nhi\r\n"));
 * await spool.commit({ reversePath: "", recipients: ["b@example.org"], receivedFrom: { ip: "::1", helo: "x" } });
 * ```
 */
export function signingSpool(spool: SpoolWriter, signer: MessageSigner): SpoolWriter {
  return new SigningSpoolWriter(spool, signer);
}

class SigningSpoolWriter implements SpoolWriter {
  readonly #spool: SpoolWriter;
  readonly #signer: MessageSigner;

  constructor(spool: SpoolWriter, signer: MessageSigner) {
    this.#spool = spool;
    this.#signer = signer;
  }

  get id(): string {
    return this.#spool.id;
  }

  get size(): number {
    return this.#spool.size;
  }

  write(bytes: Uint8Array): Promise<void> {
    this.#signer.update(bytes);
    return this.#spool.write(bytes);
  }

  async commit(envelope: EnvelopeInit): Promise<QueuedMessage> {
    let headerPrefix: string | undefined;
    try {
      const result = await this.#signer.finish();
      if (result.kind === "signed") {
        headerPrefix = result.header;
        const signatures = result.signatures.map((s) => `${s.domain}/${s.selector}/${s.algorithm}`);
        logger.debug("Message {message_id} signed: {signatures}", {
          message_id: this.id,
          signatures: signatures.join(", "),
        });
      } else {
        logger.debug("Message {message_id} not signed: {reason}", {
          message_id: this.id,
          reason: result.reason,
        });
      }
    } catch (error) {
      await this.#spool.abort(); // as a failed commit does: nothing stays behind
      throw new SpoolError(`Cannot sign message "${this.id}"`, { cause: error });
    }
    // Fields already in the prefix (added by policy hooks) stay on top, unsigned.
    return await this.#spool.commit(
      headerPrefix === undefined
        ? envelope
        : { ...envelope, headerPrefix: (envelope.headerPrefix ?? "") + headerPrefix },
    );
  }

  abort(): Promise<void> {
    return this.#spool.abort();
  }
}
