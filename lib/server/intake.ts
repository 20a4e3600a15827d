import {
  type EnvelopeInit,
  type QueueStore,
  RecordTooLargeError,
  type SpoolWriter,
} from "../queue/mod.ts";
import { type MessageSigning, signingSpool } from "../dkim/mod.ts";
import {
  envelopeTooLarge,
  type HeaderField,
  HeaderFieldCollector,
  localError,
  queued,
  type Reply,
} from "../smtp/mod.ts";
import { getLogger } from "../observe/mod.ts";

const logger = getLogger(["empath", "server"]);

/** The most header bytes kept for the fields `begin()` asks for. */
const MAX_COLLECTED_BYTES = 16 * 1024;

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
  readonly #signing: MessageSigning | undefined;
  #spool: SpoolWriter | undefined;
  /** The queue's own writer under `#spool` (which may be a signing wrapper), for reading back. */
  #spooled: SpoolWriter | undefined;
  #failure: unknown;
  /** Collects the header fields asked for in `begin()`, if any. */
  #collector: HeaderFieldCollector | undefined;
  /** Whether the header section is still being read. */
  #collecting = false;

  /**
   * @param queue Where messages are spooled.
   * @param signing DKIM signing for messages begun with `{ sign: true }`.
   */
  constructor(queue: Pick<QueueStore, "createSpool">, signing?: MessageSigning) {
    this.#queue = queue;
    this.#signing = signing;
  }

  /** Id of the message being received, once `begin()` was called. */
  get id(): string | undefined {
    return this.#spool?.id;
  }

  /** Octets spooled so far for the message being received. */
  get size(): number {
    return this.#spool?.size ?? 0;
  }

  /**
   * Streams what was spooled so far, before the commit (for `onData` hooks).
   *
   * @throws {TypeError} If no message is being received or the queue cannot read it back.
   */
  readSpooled(): ReadableStream<Uint8Array> {
    const read = this.#spooled?.readSpooled?.bind(this.#spooled);
    if (read === undefined) throw new TypeError("Cannot read the spooled message back");
    return read();
  }

  /** Whether a message is being received. */
  get active(): boolean {
    return this.#spool !== undefined;
  }

  /**
   * Opens the spool and writes the header returned by `header(id)`. With `sign`
   * (submitted mail), the message is DKIM-signed as it streams in when a key
   * matches its `From:` domain.
   */
  begin(
    header: (id: string) => string,
    options: { sign?: boolean; collect?: ReadonlySet<string> } = {},
  ): Promise<void> {
    this.#failure = undefined;
    this.#collector = options.collect === undefined || options.collect.size === 0
      ? undefined
      : new HeaderFieldCollector(options.collect, MAX_COLLECTED_BYTES);
    this.#collecting = this.#collector !== undefined;
    const spool = this.#queue.createSpool();
    this.#spooled = spool;
    const signer = options.sign ? this.#signing?.start() : undefined;
    this.#spool = signer === undefined ? spool : signingSpool(spool, signer);
    return this.write(new TextEncoder().encode(header(this.#spool.id)));
  }

  /**
   * The header fields named in `begin()`'s `collect` (lowercased names) that the message's
   * header section holds. Call once the message ended.
   */
  headerFields(): readonly HeaderField[] {
    if (this.#collecting) {
      this.#collector?.finish(); // a message without a body: its last line is a field too
      this.#collecting = false;
    }
    return this.#collector?.fields ?? [];
  }

  /** Appends body bytes; failures are remembered for `finish()`. */
  async write(bytes: Uint8Array): Promise<void> {
    if (this.#spool === undefined || this.#failure !== undefined) return;
    if (this.#collecting && this.#collector!.push(bytes).kind !== "more") {
      this.#collecting = false;
    }
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
      logger.error("Cannot spool message {message_id}: {error}", {
        message_id: spool.id,
        error: this.#failure,
      });
      await spool.abort();
      return localError();
    }
    try {
      const message = await spool.commit(envelope);
      return queued(message.id);
    } catch (error) {
      logger.error("Cannot commit message {message_id}: {error}", { message_id: spool.id, error });
      await spool.abort();
      // Retrying the same envelope cannot help: a permanent answer, not one retried for ever.
      return error instanceof RecordTooLargeError ? envelopeTooLarge() : localError();
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
