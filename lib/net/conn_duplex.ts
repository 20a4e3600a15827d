import { Duplex } from "node:stream";

const READ_BUFFER_SIZE = 64 * 1024;

/**
 * A node `Duplex` stream over a Deno connection, so that node:tls can run TLS
 * on a connection Deno opened or accepted (Deno has no server-side `startTls`,
 * and its client `startTls` cannot turn certificate checks off per connection).
 *
 * @example
 * ```ts ignore
 * import tls from "node:tls";
 * const socket = new tls.TLSSocket(connDuplex(conn), { isServer: true, secureContext });
 * ```
 */
export function connDuplex(conn: Deno.Conn): Duplex {
  return new Duplex({
    read() {
      const buffer = new Uint8Array(READ_BUFFER_SIZE);
      conn.read(buffer).then(
        (n) => this.push(n === null ? null : buffer.subarray(0, n)),
        () => this.push(null),
      );
    },
    write(chunk: Uint8Array, _encoding, callback) {
      writeAll(conn, chunk).then(() => callback(), callback);
    },
    final(callback) {
      const closeWrite = (conn as Partial<Deno.TcpConn>).closeWrite;
      if (closeWrite === undefined) return callback();
      closeWrite.call(conn).then(() => callback(), () => callback());
    },
    destroy(error, callback) {
      try {
        conn.close();
      } catch {
        // already closed
      }
      callback(error);
    },
  });
}

/**
 * Writes all of `bytes` to `conn` (a single `write` may take only part).
 *
 * @example
 * ```ts ignore
 * await writeAll(conn, new TextEncoder().encode("QUIT\r\n"));
 * ```
 */
export async function writeAll(conn: Deno.Conn, bytes: Uint8Array): Promise<void> {
  let offset = 0;
  while (offset < bytes.byteLength) offset += await conn.write(bytes.subarray(offset));
}
