import type { EnvelopeInit, QueueStore, SpoolWriter } from "../queue/mod.ts";
import { localError, queued, type Reply } from "../smtp/mod.ts";
import { getLogger } from "../observe/mod.ts";

const logger = getLogger(["empath", "server"]);

/**
 * Streams one message from an SMTP transaction into the queue: opens a spool,
 * writes the `Received:` header and the body chunks as they arrive, and commits
 * the envelope (the durability point) before the 250 reply is produced.
 *
 * A storage failure while the body streams in is remembered and reported as
 * `451 4.3.0` when the message ends, so the client is never told "queued" for a
 * message that is not safely stored.
 */
export class MessageIntake {
  readonly #queue: Pick<QueueStore, "createSpool">;
  #spool: SpoolWriter | undefined;
  #failure: unknown;

  constructor(queue: Pick<QueueStore, "createSpool">) {
    this.#queue = queue;
  }

  /** Id of the message being received, once `begin()` was called. */
  get id(): string | undefined {
    return this.#spool?.id;
  }

  /** Whether a message is being received. */
  get active(): boolean {
    return this.#spool !== undefined;
  }

  /** Opens the spool; the caller then writes the header returned by `header(id)`. */
  begin(header: (id: string) => string): Promise<void> {
    this.#failure = undefined;
    this.#spool = this.#queue.createSpool();
    return this.write(new TextEncoder().encode(header(this.#spool.id)));
  }

  /** Appends body bytes; failures are remembered for `finish()`. */
  async write(bytes: Uint8Array): Promise<void> {
    if (this.#spool === undefined || this.#failure !== undefined) return;
    try {
      await this.#spool.write(bytes);
    } catch (error) {
      this.#failure = error;
    }
  }

  /** Commits the message and returns the reply for the end of DATA or BDAT LAST. */
  async finish(envelope: EnvelopeInit): Promise<Reply> {
    const spool = this.#spool;
    this.#spool = undefined;
    if (spool === undefined) return localError();
    if (this.#failure !== undefined) {
      logger.error("Cannot spool message {id}: {error}", { id: spool.id, error: this.#failure });
      await spool.abort();
      return localError();
    }
    try {
      const message = await spool.commit(envelope);
      return queued(message.id);
    } catch (error) {
      logger.error("Cannot commit message {id}: {error}", { id: spool.id, error });
      await spool.abort();
      return localError();
    }
  }

  /** Drops the message being received, if any. Never throws. */
  async discard(): Promise<void> {
    const spool = this.#spool;
    this.#spool = undefined;
    this.#failure = undefined;
    if (spool !== undefined) await spool.abort();
  }
}
