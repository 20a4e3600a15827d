/** Received bytes not yet consumed by the session, private to lib/smtp. */

/**
 * A FIFO of received byte arrays. Readers look at the first non-empty array
 * and say how much of it they consumed; nothing is copied.
 */
export class InputQueue {
  #chunks: Uint8Array[] = [];

  /** Appends received bytes; the caller must not reuse the array afterwards. */
  push(bytes: Uint8Array): void {
    if (bytes.length > 0) this.#chunks.push(bytes);
  }

  /** The first unconsumed bytes, or undefined when empty. */
  peek(): Uint8Array | undefined {
    return this.#chunks[0];
  }

  /** Drops `count` bytes from the front of the first array. */
  consume(count: number): void {
    const head = this.#chunks[0];
    if (head === undefined || count === 0) return;
    if (count >= head.length) this.#chunks.shift();
    else this.#chunks[0] = head.subarray(count);
  }

  /** Drops everything, e.g. plaintext pipelined after STARTTLS (CVE-2011-0411). */
  clear(): void {
    this.#chunks = [];
  }
}
