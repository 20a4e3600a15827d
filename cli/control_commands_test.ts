import assert from "node:assert/strict";
import { ConfigError } from "../lib/config/mod.ts";
import { hashToken } from "../lib/control/mod.ts";
import { concatBytes } from "../lib/smtp/mod.ts";
import { runCli } from "./cli.ts";
import type { CliIo } from "./io.ts";
import { startTestControlServer, TEST_TOKEN } from "./_control_test_server.ts";

interface FakeIo extends CliIo {
  readonly out: string[];
  readonly err: string[];
  readonly stdout: () => string;
  readonly stderr: () => string;
}

function fakeIo(
  options: { env?: Record<string, string>; confirm?: boolean | undefined } = {},
): FakeIo {
  const out: string[] = [];
  const err: string[] = [];
  return {
    out,
    err,
    stdout: () => out.join(""),
    stderr: () => err.join(""),
    writeOut: (text) => out.push(text),
    writeErr: (text) => err.push(text),
    readStdin: () => Promise.resolve(""),
    readSecret: () => Promise.resolve(undefined),
    confirm: () => Promise.resolve(options.confirm),
    getEnv: (name) => options.env?.[name],
  };
}

function control(url: string, ...args: string[]): string[] {
  return ["control", "--url", url, "--token", TEST_TOKEN, ...args];
}

async function withTempDir<T>(run: (dir: string) => Promise<T>): Promise<T> {
  const dir = await Deno.makeTempDir();
  try {
    return await run(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("runCli() control queue lists, views, holds, releases and deletes a message", async () => {
  await using server = await startTestControlServer();
  const id = await server.spool({ recipients: ["a@example.org", "b@example.org"] });

  let io = fakeIo();
  assert.equal(await runCli(control(server.url, "queue", "list"), io), 0, io.stderr());
  assert.match(io.stdout(), /^ID +STATE +PRI +SIZE +TRIES +NEXT ATTEMPT +FROM +TO\n/);
  assert.match(
    io.stdout(),
    new RegExp(`${id} +queued .*sender@example\\.test +a@example\\.org \\(\\+1\\)`),
  );

  io = fakeIo();
  assert.equal(await runCli(control(server.url, "queue", "view", id), io), 0, io.stderr());
  assert.match(io.stdout(), new RegExp(`^id: +${id}\n`));
  assert.match(io.stdout(), /b@example\.org +pending +0/);

  io = fakeIo();
  assert.equal(await runCli(control(server.url, "queue", "hold", id), io), 0, io.stderr());
  assert.equal(io.stdout(), `Held message ${id} (state held)\n`);
  assert.equal((await server.queue.get(id))?.state, "held");

  io = fakeIo();
  assert.equal(await runCli(control(server.url, "queue", "why", id), io), 0, io.stderr());
  assert.equal(io.stdout(), "Held by an operator; release it to deliver it.\n");

  io = fakeIo();
  assert.equal(
    await runCli(control(server.url, "--json", "queue", "list", "--state", "held"), io),
    0,
  );
  assert.deepEqual(JSON.parse(io.stdout()).messages.map((m: { id: string }) => m.id), [id]);

  io = fakeIo();
  assert.equal(await runCli(control(server.url, "queue", "release", id), io), 0, io.stderr());
  assert.equal(io.stdout(), `Released message ${id} (state queued)\n`);

  io = fakeIo();
  assert.equal(await runCli(control(server.url, "queue", "delete", id), io), 0, io.stderr());
  assert.equal(io.stdout(), `Deleted message ${id}\n`);
  assert.equal(await server.queue.get(id), undefined);

  io = fakeIo();
  assert.equal(await runCli(control(server.url, "queue", "view", id), io), 1);
  assert.equal(io.stderr(), `empath: No message "${id}" in the queue (HTTP 404)\n`);
});

Deno.test("runCli() control queue bulk hold counts with --dry-run, refuses without a terminal, asks otherwise", async () => {
  await using server = await startTestControlServer();
  const ids = [await server.spool(), await server.spool()];
  await server.spool({ recipients: ["c@example.net"] });

  let io = fakeIo();
  const dryRun = control(server.url, "queue", "hold", "--domain", "example.org", "--dry-run");
  assert.equal(await runCli(dryRun, io), 0, io.stderr());
  assert.match(io.stdout(), /^Would hold 2 messages matching domain example\.org\n/);
  assert.equal((await server.queue.stats()).byState.held ?? 0, 0);

  io = fakeIo({ confirm: undefined });
  assert.equal(
    await runCli(control(server.url, "queue", "hold", "--domain", "example.org"), io),
    2,
  );
  assert.match(
    io.stderr(),
    /refusing to hold 2 messages without a terminal to confirm: pass --yes/,
  );
  assert.equal((await server.queue.stats()).byState.held ?? 0, 0);

  io = fakeIo({ confirm: false });
  assert.equal(
    await runCli(control(server.url, "queue", "hold", "--domain", "example.org"), io),
    1,
  );
  assert.equal((await server.queue.stats()).byState.held ?? 0, 0);

  io = fakeIo({ confirm: true });
  assert.equal(
    await runCli(control(server.url, "queue", "hold", "--domain", "example.org"), io),
    0,
  );
  assert.match(io.stdout(), /^Held 2 of 2 messages matching domain example\.org\n/);
  for (const id of ids) assert.equal((await server.queue.get(id))?.state, "held");

  io = fakeIo({ confirm: undefined });
  const release = control(server.url, "queue", "release", "--domain", "example.org", "--yes");
  assert.equal(await runCli(release, io), 0, io.stderr());
  assert.match(io.stdout(), /^Released 2 of 2 messages/);
});

Deno.test("runCli() control usage errors exit 2 before any request", async () => {
  let io = fakeIo();
  assert.equal(await runCli(control("http://127.0.0.1:9", "queue", "hold"), io), 2);
  assert.match(io.stderr(), /give a message id or --domain/);
  io = fakeIo();
  assert.equal(await runCli(control("http://127.0.0.1:9", "queue", "list", "--limit", "x"), io), 2);
  assert.match(io.stderr(), /--limit <n>.*expected an integer of at least 1/);
  io = fakeIo();
  const both = control("http://127.0.0.1:9", "queue", "delete", "ID", "--domain", "example.org");
  assert.equal(await runCli(both, io), 2);
});

Deno.test("runCli() control rate-limit set then get shows the domain's limit", async () => {
  await using server = await startTestControlServer();
  let io = fakeIo();
  const set = control(server.url, "rate-limit", "set", "Example.org", "5/s", "--burst", "3");
  assert.equal(await runCli(set, io), 0, io.stderr());
  assert.equal(io.stdout(), "Rate limit for example.org: 5/s, burst 3\n");
  assert.deepEqual(server.limiter.limits().overrides["example.org"], {
    ratePerSecond: 5,
    burst: 3,
  });

  io = fakeIo();
  assert.equal(await runCli(control(server.url, "rate-limit", "get"), io), 0, io.stderr());
  assert.match(io.stdout(), /^Default: 10\/s, burst 20\n/);
  assert.match(io.stdout(), /\nexample\.org +5\/s +3\n/);

  io = fakeIo();
  const keepBurst = control(server.url, "rate-limit", "set", "example.org", "100/m");
  assert.equal(await runCli(keepBurst, io), 0, io.stderr());
  assert.equal(server.limiter.limits().overrides["example.org"].burst, 3);
  // A rate is shown in the unit it reads back in, not as a long fraction per second.
  assert.equal(io.stdout(), "Rate limit for example.org: 100/m, burst 3\n");
  io = fakeIo();
  assert.equal(await runCli(control(server.url, "rate-limit", "get"), io), 0, io.stderr());
  assert.match(io.stdout(), /\nexample\.org +100\/m +3\n/);

  io = fakeIo();
  assert.equal(await runCli(control(server.url, "rate-limit", "unset", "example.org"), io), 0);
  assert.equal(io.stdout(), "Rate limit for example.org: the default, 10/s, burst 20\n");
  assert.equal(server.limiter.limits().overrides["example.org"], undefined);
});

Deno.test("runCli() control with a wrong token exits 1 with the API's message and status", async () => {
  await using server = await startTestControlServer();
  const io = fakeIo();
  const args = ["control", "--url", server.url, "--token", "wrong", "queue", "stats"];
  assert.equal(await runCli(args, io), 1);
  assert.equal(io.stderr(), "empath: A valid bearer token is required (HTTP 401)\n");
});

Deno.test("runCli() control with nothing listening exits 3 naming the address", async () => {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const { port } = listener.addr;
  listener.close();
  const io = fakeIo();
  assert.equal(await runCli(control(`http://127.0.0.1:${port}`, "queue", "list"), io), 3);
  assert.match(
    io.stderr(),
    new RegExp(`^empath: Cannot connect to the control API at http://127\\.0\\.0\\.1:${port}`),
  );
});

Deno.test("runCli() control finds the API through the environment and through --config", async () => {
  await using server = await startTestControlServer();
  await server.spool();
  let io = fakeIo({ env: { EMPATH_CONTROL_URL: server.url, EMPATH_CONTROL_TOKEN: TEST_TOKEN } });
  assert.equal(await runCli(["control", "queue", "stats"], io), 0, io.stderr());
  assert.match(io.stdout(), /^messages: +1\n/);

  await withTempDir(async (dir) => {
    const tokenFile = `${dir}/control.token`;
    await Deno.writeTextFile(tokenFile, `${TEST_TOKEN}\n`);
    const listen = server.url.replace("http://", "");
    await Deno.writeTextFile(
      `${dir}/empath.toml`,
      `[control]\nlisten = "${listen}"\ntoken_file = ${JSON.stringify(tokenFile)}\n`,
    );
    io = fakeIo();
    const args = ["control", "--config", `${dir}/empath.toml`, "breaker", "list"];
    assert.equal(await runCli(args, io), 0, io.stderr());
    assert.equal(io.stdout(), "No circuit breakers\n");

    await Deno.writeTextFile(
      `${dir}/hashed.toml`,
      `[control]\nlisten = "${listen}"\n\n[[control.tokens]]\nname = "ops"\n` +
        `hash = "${await hashToken("x")}"\nscope = "admin"\n`,
    );
    io = fakeIo();
    assert.equal(await runCli(["control", "-c", `${dir}/hashed.toml`, "queue", "stats"], io), 2);
    assert.match(io.stderr(), /only hashed tokens .*pass --token or set EMPATH_CONTROL_TOKEN/);
  });
});

Deno.test("runCli() control dns, breaker, connections, mta-sts, flush and config show answer", async () => {
  await using server = await startTestControlServer();
  for (
    const [args, expected] of [
      [["dns", "cache", "list"], /^entries: +0\n/],
      [
        ["dns", "cache", "flush", "example.org"],
        /^Removed 0 cached DNS answers for example\.org\n/,
      ],
      [["breaker", "reset", "mx.example.org"], /^Circuit breaker mx\.example\.org is closed\n/],
      [["connections"], /^No open connections\n/],
      [["mta-sts", "list"], /^No cached MTA-STS policies\n/],
      [["tls-rpt", "list"], /^No TLS sessions recorded\n/],
      [["tls-rpt", "send"], /^Sent 0 TLS reports: 0 submitted, 0 failed, 0 waiting/],
      [["queue", "flush"], /^Delivery woken/],
      [["config", "show"], /"hostname": "mx\.example\.test"/],
    ] as const
  ) {
    const io = fakeIo();
    assert.equal(
      await runCli(control(server.url, ...args), io),
      0,
      `${args.join(" ")}: ${io.stderr()}`,
    );
    assert.match(io.stdout(), expected, args.join(" "));
  }
});

Deno.test("runCli() control tls-rpt list shows the recorded sessions by domain and policy", async () => {
  await using server = await startTestControlServer();
  const policy = { type: "sts" as const, id: "2024", strings: [], mx: ["mx.example.org"] };
  const failure = {
    resultType: "certificate-host-mismatch",
    receivingMxHostname: "mx.example.org",
  };
  server.tlsRpt.sessions.record({ domain: "example.org", policy });
  server.tlsRpt.sessions.record({ domain: "example.org", policy, failure });
  server.tlsRpt.sessions.record({ domain: "example.org", policy, failure });
  await server.tlsRpt.sessions.flush();
  const io = fakeIo();
  assert.equal(await runCli(control(server.url, "tls-rpt", "list"), io), 0, io.stderr());
  const [header, row] = io.stdout().split("\n");
  assert.match(header, /^DOMAIN +FROM +UNTIL +POLICY +OK +FAILED +FAILURES$/);
  assert.match(row, /^example\.org +\S+Z +\S+Z +sts:2024 +1 +2 +certificate-host-mismatch=2$/);
});

Deno.test("runCli() control queue delete --bounce notifies the sender with a DSN", async () => {
  await using server = await startTestControlServer();
  const id = await server.spool({ recipients: ["a@example.org"] });
  const io = fakeIo();
  assert.equal(
    await runCli(control(server.url, "queue", "delete", "--bounce", id), io),
    0,
    io.stderr(),
  );
  assert.equal(io.stdout(), `Deleted message ${id}, sender notified\n`);
  const { messages } = await server.queue.list({}, { limit: 10 });
  assert.deepEqual(messages.map((m) => [m.reversePath, m.recipients[0].address]), [
    ["", "sender@example.test"],
  ]);
});

Deno.test("runCli() control queue body prints the message byte-exact, 404 for an unknown id", async () => {
  await using server = await startTestControlServer();
  const id = await server.spool();
  const chunks: Uint8Array[] = [];
  let io = { ...fakeIo(), writeOutBytes: (bytes: Uint8Array) => void chunks.push(bytes) };
  assert.equal(await runCli(control(server.url, "queue", "body", id), io), 0, io.stderr());
  assert.equal(new TextDecoder().decode(concatBytes(chunks)), "Subject: test\r\n\r\nHello\r\n");

  io = { ...fakeIo(), writeOutBytes: (bytes: Uint8Array) => void chunks.push(bytes) };
  const unknown = "0".repeat(id.length);
  assert.equal(await runCli(control(server.url, "queue", "body", unknown), io), 1);
  assert.match(io.stderr(), /No message/);
});

Deno.test("runCli() control log-level set changes one category and get shows it", async () => {
  await using server = await startTestControlServer();
  let io = fakeIo();
  assert.equal(
    await runCli(control(server.url, "log-level", "set", "debug", "empath.smtp"), io),
    0,
    io.stderr(),
  );
  assert.equal(io.stdout(), "Log level of empath.smtp set to debug\n");
  assert.equal(server.logLevels.get("empath.smtp"), "debug");

  io = fakeIo();
  assert.equal(await runCli(control(server.url, "log-level", "set", "off"), io), 0, io.stderr());
  assert.equal(server.logLevels.get(""), null);

  io = fakeIo();
  assert.equal(await runCli(control(server.url, "log-level", "get"), io), 0, io.stderr());
  assert.match(io.stdout(), /^CATEGORY +LEVEL\nempath +off\nempath\.smtp +debug\n$/);

  io = fakeIo();
  assert.equal(await runCli(control(server.url, "log-level", "set", "loud"), io), 1);
  assert.match(io.stderr(), /level/);
  assert.equal(server.logLevels.get("empath.smtp"), "debug");
});

Deno.test("runCli() control config reload prints the changes, or every error and exits 1", async () => {
  await using server = await startTestControlServer();
  server.reloadResult = [{ path: "delivery.concurrency", before: 8, after: 16 }];
  let io = fakeIo();
  assert.equal(await runCli(control(server.url, "config", "reload"), io), 0, io.stderr());
  assert.equal(io.stdout(), "Reloaded: 1 setting(s) changed\n  delivery.concurrency\n");

  server.reloadResult = new ConfigError([
    { path: "policy.max_recipients", message: "must be at least 1" },
    { path: "listen", message: "required" },
  ], "/etc/empath.toml");
  io = fakeIo();
  assert.equal(await runCli(control(server.url, "config", "reload"), io), 1);
  assert.match(io.stderr(), /policy\.max_recipients.*must be at least 1/);
  assert.match(io.stderr(), /listen.*required/);
  assert.equal(io.stdout(), "");
});

Deno.test("runCli() control token create prints a token and the entry with its hash, offline", async () => {
  const io = fakeIo();
  assert.equal(
    await runCli(["control", "token", "create", "--name", "ops", "--scope", "read"], io),
    0,
  );
  const token = /^ {2}([A-Za-z0-9_-]{43})$/m.exec(io.stdout())?.[1];
  assert.ok(token, io.stdout());
  assert.match(
    io.stdout(),
    new RegExp(
      `\\[\\[control\\.tokens\\]\\]\nname = "ops"\nhash = "${await hashToken(
        token,
      )}"\nscope = "read"\n$`,
    ),
  );
});

Deno.test("empath control queue watch prints delivery events as they happen", async () => {
  await using server = await startTestControlServer();
  const id = await server.spool();
  const io = fakeIo();
  const watching = runCli(control(server.url, "queue", "watch", "--id", id, "--count", "2"), io);
  // Publish once the subscription exists (the stream answers "ready" first).
  for (let i = 0; i < 100 && !io.stdout().includes("deferred"); i++) {
    server.events.publish({
      type: "deferred",
      id,
      at: 0,
      recipient: "b@example.org",
      detail: "451 busy",
    });
    server.events.publish({ type: "delivered", id, at: 0, recipient: "b@example.org" });
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  assert.equal(await watching, 0, io.stderr());
  const lines = io.stdout().trim().split("\n");
  assert.equal(lines.length, 2);
  assert.match(lines[0], new RegExp(`deferred +${id}  b@example\\.org  451 busy$`));
});
