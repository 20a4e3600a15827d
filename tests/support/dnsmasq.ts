/**
 * A throwaway authoritative-like DNS server for tests: /usr/sbin/dnsmasq in the
 * foreground on 127.0.0.1 with a free port (UDP and TCP), answering only the
 * records given. Every other name is answered locally (`--local=/#/`: NXDOMAIN
 * or NODATA), nothing is forwarded, no hosts file, no DHCP, no pid file.
 *
 * A null MX (RFC 7505) is `{ domain, exchange: ".", preference: 0 }`:
 * dnsmasq 2.90 serves `--mx-host=domain,.,0` as an MX record with the root as
 * exchange. A TXT text must not contain a comma (dnsmasq splits strings there).
 *
 * Tests that need it use `ignore: skipWithoutDnsmasq()`.
 */
import { freePort } from "./net.ts";
import { spawnDaemon } from "./wait.ts";
import { skipWithout } from "./peers.ts";

const DNSMASQ = "/usr/sbin/dnsmasq";

/** The records dnsmasq serves. */
export interface DnsmasqRecords {
  mx?: { domain: string; exchange: string; preference: number }[];
  a?: { name: string; address: string }[];
  aaaa?: { name: string; address: string }[];
  txt?: { name: string; text: string }[];
}

/** A running dnsmasq; dispose to stop it. */
export interface Dnsmasq extends AsyncDisposable {
  readonly nameServer: { ipAddr: "127.0.0.1"; port: number };
}

/** `ignore` flag for tests that need dnsmasq (Debian package `dnsmasq-base` or `dnsmasq`). */
export function skipWithoutDnsmasq(): boolean {
  return skipWithout("dnsmasq", "dnsmasq-base");
}

/**
 * Starts dnsmasq with `records` and resolves once it answers a query.
 * `options.port` reuses a port (to replace a stopped instance's records while
 * its clients keep their name server); otherwise a free one is picked.
 *
 * @throws {Error} If dnsmasq exits or does not answer within 5 s (after a few port retries).
 */
export async function startDnsmasq(
  records: DnsmasqRecords,
  options: { port?: number } = {},
): Promise<Dnsmasq> {
  let lastError: unknown;
  for (let attempt = 0; attempt < 3; attempt++) {
    // The kernel picks a port free for TCP; dnsmasq binds UDP on it too, and a
    // clash (rare) makes dnsmasq exit, which the next attempt retries.
    const port = options.port ?? freePort();
    const server = spawn(port, recordArgs(records));
    try {
      await waitUntilAnswering(port, server.exited);
      return {
        nameServer: { ipAddr: "127.0.0.1", port },
        [Symbol.asyncDispose]: server.stop,
      };
    } catch (error) {
      lastError = error;
      await server.stop();
    }
  }
  throw new Error("Cannot start dnsmasq", { cause: lastError });
}

function recordArgs(records: DnsmasqRecords): string[] {
  const hosts = new Map<string, string[]>();
  for (const { name, address } of [...records.a ?? [], ...records.aaaa ?? []]) {
    hosts.set(name, [...hosts.get(name) ?? [], address]);
  }
  return [
    ...(records.mx ?? []).map((r) => `--mx-host=${r.domain},${r.exchange},${r.preference}`),
    ...[...hosts].map(([name, addresses]) => `--host-record=${name},${addresses.join(",")}`),
    ...(records.txt ?? []).map((r) => `--txt-record=${r.name},${r.text}`),
  ];
}

function spawn(port: number, records: string[]) {
  const args = [
    "--keep-in-foreground",
    "--conf-file=/dev/null",
    "--no-resolv",
    "--no-hosts",
    "--no-poll",
    "--pid-file=",
    "--bind-interfaces",
    "--listen-address=127.0.0.1",
    `--port=${port}`,
    "--local=/#/",
    "--log-facility=-",
    ...(Deno.uid() === 0 ? ["--user=root", "--group=root"] : []),
    ...records,
  ];
  return spawnDaemon("dnsmasq", DNSMASQ, args);
}

async function waitUntilAnswering(port: number, exited: Promise<Error>): Promise<void> {
  const deadline = Date.now() + 5_000;
  let done = false;
  const failure = exited.then((error) => {
    if (!done) throw error;
  });
  try {
    while (Date.now() < deadline) {
      const answered = await Promise.race([probe(port), failure.then(() => false)]);
      if (answered) return;
    }
    throw new Error(`dnsmasq did not answer on port ${port} within 5 s`);
  } finally {
    done = true;
  }
}

// Any answer, even "no records", proves the server is up; only a timeout or a
// network error means it is not. (Not ".invalid": Deno answers those itself.)
async function probe(port: number): Promise<boolean> {
  const timeout = new AbortController();
  const timer = setTimeout(() => timeout.abort(), 100);
  try {
    await Deno.resolveDns("dnsmasq-probe.test.", "A", {
      nameServer: { ipAddr: "127.0.0.1", port },
      signal: timeout.signal,
    });
    return true;
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return true;
    await new Promise((resolve) => setTimeout(resolve, 20));
    return false;
  } finally {
    clearTimeout(timer);
  }
}
