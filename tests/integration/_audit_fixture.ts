// Shared by the audit trail tests: an Empath writing its audit trail to a file, a peer that
// refuses every recipient, a client that fails AUTH once, and readers of the audit file.
import assert from "node:assert/strict";
import type { Config } from "../../lib/config/mod.ts";
import type { TestCertificates } from "../support/certs.ts";
import { startTestEmpath, type TestEmpath } from "../support/empath.ts";
import { readLines, type ServedPeer, servePeer } from "../support/net.ts";
import { skipWithout } from "../support/peers.ts";
import { TestSmtpClient } from "../support/smtp_client.ts";
import { eventually } from "../support/wait.ts";

export const NO_OPENSSL = skipWithout("openssl", "openssl");

export const ADMIN_TOKEN = "audit-admin-token-0123456789";
export const BAD_TOKEN = "not-a-valid-token-9876543210";
export const PASSWORD = "s3cret pass";
export const WRONG_PASSWORD = "wrong-password-4711";
export const BODY_MARKER = "BODY-MARKER-never-audited";

export type AuditLine = Record<string, unknown>;

/** A receiving server that refuses every recipient, quoting the address in its reply. */
export function startRejectingPeer(): ServedPeer {
  const encoder = new TextEncoder();
  return servePeer(async (conn) => {
    const send = (text: string) => conn.write(encoder.encode(text));
    await send("220 reject.test ESMTP\r\n");
    for await (const line of readLines(conn)) {
      const verb = line.slice(0, 4).toUpperCase();
      if (verb === "QUIT") return void await send("221 2.0.0 Bye\r\n");
      const rcpt = /^RCPT TO:<([^>]*)>/i.exec(line);
      await send(
        rcpt
          ? `550 5.1.1 <${rcpt[1]}>: Recipient address rejected\r\n`
          : verb === "DATA"
          ? "554 5.5.1 No valid recipients\r\n"
          : "250 2.0.0 Ok\r\n",
      );
    }
  });
}

export async function readAudit(path: string): Promise<AuditLine[]> {
  const text = await Deno.readTextFile(path).catch(() => "");
  return text.split("\n").filter((line) => line !== "").map((line) => JSON.parse(line));
}

export function waitForLine(path: string, match: (line: AuditLine) => boolean): Promise<AuditLine> {
  return eventually(async () => (await readAudit(path)).find(match));
}

export async function control(port: number, path: string, init: RequestInit & { token: string }) {
  const { token, ...rest } = init;
  const response = await fetch(`http://127.0.0.1:${port}${path}`, {
    ...rest,
    headers: { Authorization: `Bearer ${token}` },
  });
  await response.body?.cancel();
  return response.status;
}

/** Fails the test if the audit trail `text` holds any of `secrets`. */
export function assertNoneIn(text: string, secrets: readonly string[]): void {
  for (const secret of secrets) {
    assert.ok(!text.includes(secret), `"${secret}" must not be in the audit trail`);
  }
}

/** The first audit line with every field of `match`; fails the test when there is none. */
export function finder(lines: readonly AuditLine[]): (match: AuditLine) => AuditLine {
  return (match) => {
    const found = lines.find((line) => Object.entries(match).every(([k, v]) => line[k] === v));
    assert.ok(found, `no audit line matching ${JSON.stringify(match)}`);
    return found;
  };
}

/** An SMTP route to a loopback port, without TLS. */
export function plainRoute(domain: string, port: number): Config["routes"][number] {
  return {
    domains: [domain],
    kind: "smtp",
    to: `127.0.0.1:${port}`,
    tls: "disabled",
    verifyCertificates: false,
  };
}

/**
 * Empath with the audit trail `audit`: STARTTLS with `certs`, the user alice (AUTH optional,
 * password {@linkcode PASSWORD}), delivery on, control `tokens`, and `routes` added.
 */
export async function startAudited(options: {
  certs: TestCertificates;
  passwordHash: string;
  tokens: Config["control"]["tokens"];
  audit: Config["observe"]["audit"];
  routes: Config["routes"];
}): Promise<TestEmpath> {
  return await startTestEmpath((config) => {
    config.tls = { cert: options.certs.cert, key: options.certs.key };
    config.auth.users = [{ username: "alice", passwordHash: options.passwordHash }];
    config.listen[0] = { ...config.listen[0], auth: "optional" };
    config.delivery.enabled = true;
    config.control.tokens = options.tokens;
    config.observe.audit = options.audit;
    config.routes.push(...options.routes);
  });
}

const b64 = (text: string) => btoa(String.fromCharCode(...new TextEncoder().encode(text)));

/** A client over STARTTLS that fails AUTH with {@linkcode WRONG_PASSWORD}, then logs in as alice. */
export async function authenticatedClient(port: number, caPem: string): Promise<TestSmtpClient> {
  const client = await TestSmtpClient.connect(port);
  try {
    await client.reply();
    await client.command("EHLO tls.client.test");
    assert.equal((await client.command("STARTTLS")).code, 220);
    await client.startTls(caPem);
    await client.command("EHLO tls.client.test");
    assert.equal(
      (await client.command(`AUTH PLAIN ${b64(`\0alice\0${WRONG_PASSWORD}`)}`)).code,
      535,
    );
    assert.equal((await client.command(`AUTH PLAIN ${b64(`\0alice\0${PASSWORD}`)}`)).code, 235);
    return client;
  } catch (error) {
    client.close();
    throw error;
  }
}
