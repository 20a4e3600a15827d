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
