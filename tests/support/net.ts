/** Loopback ports and sockets for tests and their in-test peers. */

/**
 * A loopback port that was free a moment ago: for a configuration that must name its port before
 * anything listens on it (a control API the CLI finds through the config, a peer started later).
 */
export function freePort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const { port } = listener.addr;
  listener.close();
  return port;
}

/** Closes every connection in `conns`, passing over those already closed. */
export function closeAll(conns: Iterable<Deno.Conn>): void {
  for (const conn of conns) {
    try {
      conn.close();
    } catch {
      // already closed
    }
  }
}

/** A loopback server from {@linkcode servePeer}. */
export interface ServedPeer extends AsyncDisposable {
  readonly port: number;
}

/**
 * Listens on a free loopback port and runs `serve` for each connection (its errors are
 * ignored; the connection is closed when it ends). Disposing closes the listener and every open
 * connection, then waits for the sessions to end.
 */
export function servePeer(serve: (conn: Deno.Conn) => Promise<void>): ServedPeer {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const conns = new Set<Deno.Conn>();
  const sessions = new Set<Promise<void>>();
  const accepting = (async () => {
    for await (const conn of listener) {
      conns.add(conn);
      const session: Promise<void> = serve(conn)
        .catch(() => {})
        .finally(() => {
          closeAll([conn]);
          conns.delete(conn);
          sessions.delete(session);
        });
      sessions.add(session);
    }
  })().catch(() => {});
  return {
    port: listener.addr.port,
    async [Symbol.asyncDispose]() {
      listener.close();
      closeAll(conns);
      await accepting;
      await Promise.all(sessions);
    },
  };
}

/** The CRLF-terminated lines a connection sends, without their CRLF, until it closes. */
export async function* readLines(conn: Deno.Conn): AsyncGenerator<string> {
  const decoder = new TextDecoder();
  const chunk = new Uint8Array(16 * 1024);
  let buffer = "";
  while (true) {
    const n = await conn.read(chunk);
    if (n === null) return;
    buffer += decoder.decode(chunk.subarray(0, n), { stream: true });
    let end: number;
    while ((end = buffer.indexOf("\r\n")) >= 0) {
      yield buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
    }
  }
}
