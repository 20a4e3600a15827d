// Opening spool writers, the same for both queue implementations: a new message id, the store's
// message lifetime, and the set of spools neither committed nor aborted yet (orphan cleanup
// spares them).
import { DEFAULT_MAX_AGE_MS } from "./_record.ts";
import { ChunkedSpoolWriter, type SpoolSink } from "./_spool_writer.ts";
import { cryptoRandomBytes, newMessageId } from "./message_id.ts";
import type { QueueDeps, QueueOptions, SpoolWriter } from "./types.ts";

/** The spool writers of one store: opens them and knows which are still open. */
export class OpenSpools {
  readonly #deps: QueueDeps;
  readonly #maxAgeMs: number;
  readonly #ids = new Set<string>();

  constructor(deps: QueueDeps, options: QueueOptions) {
    this.#deps = deps;
    this.#maxAgeMs = options.maxAgeMs ?? DEFAULT_MAX_AGE_MS;
  }

  /** The ids of the spools not yet committed or aborted. */
  get ids(): ReadonlySet<string> {
    return this.#ids;
  }

  /** Opens a spool writer for a new message id, storing into `sink`. */
  open(sink: SpoolSink): SpoolWriter {
    const id = newMessageId(this.#deps.clock.now(), this.#deps.random ?? cryptoRandomBytes);
    this.#ids.add(id);
    return new ChunkedSpoolWriter({
      sink,
      clock: this.#deps.clock,
      id,
      maxAgeMs: this.#maxAgeMs,
      onSettled: (settled) => this.#ids.delete(settled),
      onCommitted: this.#deps.onCommitted,
    });
  }
}
