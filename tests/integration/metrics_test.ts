import assert from "node:assert/strict";
import { parseConfig } from "../../lib/config/mod.ts";
import { hashToken } from "../../lib/control/mod.ts";
import { parseSamples, sampleValue } from "../../lib/observe/testing.ts";
import { startTestEmpath, type TestEmpath } from "../support/empath.ts";
import { run, skipWithout } from "../support/peers.ts";
import { sendMessage, TestSmtpClient } from "../support/smtp_client.ts";
import { eventually } from "../support/wait.ts";

const READ_TOKEN = "prometheus-read-token-0123456789";

/** An instance delivering `localhost` mail to a Maildir, with a read token for scrapes. */
async function startInstance(): Promise<TestEmpath> {
  const hash = await hashToken(READ_TOKEN);
  return await startTestEmpath((config) => {
    config.delivery.enabled = true;
    config.control.tokens = [{ name: "prometheus", hash, scope: "read" }];
  });
}

function scrape(server: TestEmpath, token: string | null = READ_TOKEN): Promise<Response> {
  const { hostname, port } = server.empath.control;
  const headers: HeadersInit = token === null ? {} : { Authorization: `Bearer ${token}` };
  return fetch(`http://${hostname}:${port}/metrics`, { headers });
}

async function scrapeText(server: TestEmpath): Promise<string> {
  const response = await scrape(server);
  assert.equal(response.status, 200);
  return await response.text();
}

/** Sends `count` messages to a local Maildir recipient over one SMTP session. */
async function sendMail(server: TestEmpath, count: number, body: string): Promise<void> {
  await using client = await TestSmtpClient.connect(server.port);
  await client.reply();
  await client.command("EHLO metrics.test");
  for (let i = 0; i < count; i++) {
    const reply = await sendMessage(client, {
      from: "a@metrics.test",
      to: ["bob@localhost"],
      body,
    });
    assert.equal(reply.code, 250, reply.raw);
  }
  assert.equal((await client.command("QUIT")).code, 221);
}

Deno.test("GET /metrics on a real instance shows SMTP and delivery counters moving; 401 without a token", async () => {
  await using server = await startInstance();
  const anonymous = await scrape(server, null);
  assert.equal(anonymous.status, 401);
  await anonymous.body?.cancel();
  const wrong = await scrape(server, "not-the-token");
  assert.equal(wrong.status, 401);
  await wrong.body?.cancel();
  const before = await scrapeText(server);
  const value = (text: string, name: string, labels?: Record<string, string>) =>
    sampleValue(text, name, labels) ?? 0;
  const body = "Subject: metrics\r\n\r\n" + Array(15).fill("x".repeat(70)).join("\r\n");
  await sendMail(server, 2, body);
  // Delivery to the Maildir is asynchronous: wait for both recipients.
  const after = await eventually(async () => {
    const text = await scrapeText(server);
    const delivered = value(text, "empath_delivery_attempts_total", { result: "delivered" });
    return delivered >= 2 ? text : undefined;
  });
  const moved = (name: string, labels?: Record<string, string>) =>
    value(after, name, labels) - value(before, name, labels);
  const smtp = { listener: "smtp" };
  assert.equal(moved("empath_smtp_connections_total", smtp), 1);
  assert.equal(moved("empath_smtp_transactions_total", smtp), 2);
  assert.equal(moved("empath_smtp_messages_received_total", smtp), 2);
  // Dot-unstuffed body bytes as received, the final CRLF included.
  assert.equal(moved("empath_smtp_received_bytes_total", smtp), 2 * (body.length + 2));
  // Greeting, EHLO, 2 × (MAIL, RCPT, 250 queued), QUIT; and 2 × 354.
  assert.equal(moved("empath_smtp_replies_total", { class: "2xx" }), 9);
  assert.equal(moved("empath_smtp_replies_total", { class: "3xx" }), 2);
  assert.equal(moved("empath_queue_spool_commit_duration_seconds_count"), 2);
  assert.equal(
    moved("empath_delivery_attempts_total", { domain: "localhost", result: "delivered" }),
    2,
  );
  assert.equal(moved("empath_delivery_latency_seconds_count"), 2);
  assert.equal(value(after, "empath_control_auth_failures_total"), 2);
  assert.equal(value(after, "empath_build_info", { version: "0.1.0" }), 1);
  await eventually(async () =>
    value(await scrapeText(server), "empath_smtp_open_connections", smtp) === 0
  );
});

Deno.test({
  name: "the real /metrics scrape passes promtool check metrics",
  ignore: skipWithout("promtool", "prometheus"),
  async fn() {
    await using server = await startInstance();
    await sendMail(server, 1, "Subject: lint\r\n\r\nhello");
    const text = await eventually(async () => {
      const text = await scrapeText(server);
      const delivered = sampleValue(text, "empath_delivery_attempts_total") ?? 0;
      return delivered >= 1 ? text : undefined;
    });
    const result = await run("promtool", ["check", "metrics"], { stdin: text });
    assert.equal(result.code, 0, `promtool check metrics:\n${result.stdout}${result.stderr}`);
    assert.equal((result.stdout + result.stderr).trim(), "", "promtool has no lint warnings");
  },
});

const ALERTS_PATH = new URL("../../docs/examples/prometheus-alerts.yml", import.meta.url).pathname;

Deno.test({
  name: "docs/examples/prometheus-alerts.yml passes promtool check rules",
  ignore: skipWithout("promtool", "prometheus"),
  async fn() {
    const result = await run("promtool", ["check", "rules", ALERTS_PATH]);
    assert.equal(result.code, 0, `promtool check rules:\n${result.stdout}${result.stderr}`);
  },
});

Deno.test("docs/examples/prometheus-alerts.yml and docs/OBSERVABILITY.md use only real metric names", async () => {
  const defined = new Set<string>();
  for (const entry of Deno.readDirSync(new URL("../../lib/observe/", import.meta.url))) {
    if (!/^(metrics|_\w+_instruments|_service_gauges)\.ts$/.test(entry.name)) continue;
    const source = await Deno.readTextFile(
      new URL(`../../lib/observe/${entry.name}`, import.meta.url),
    );
    for (const [, name] of source.matchAll(/"(empath_[a-z_]+)"/g)) defined.add(name);
  }
  assert.ok(defined.size > 30, `found ${defined.size} metric names`);
  const used = (text: string) =>
    new Set(
      [...text.matchAll(/\b(empath_[a-z_]+)\b/g)].map(([, name]) =>
        name.replace(/_(bucket|sum|count)$/, "")
      ),
    );
  const alerts = await Deno.readTextFile(ALERTS_PATH);
  for (const name of used(alerts)) assert.ok(defined.has(name), `alert rules use unknown ${name}`);
  const docs = await Deno.readTextFile(new URL("../../docs/OBSERVABILITY.md", import.meta.url));
  const section = docs.slice(
    docs.indexOf("## Metrics"),
    docs.indexOf("\n## ", docs.indexOf("## Metrics") + 1),
  );
  const documented = used(section);
  for (const name of defined) assert.ok(documented.has(name), `${name} missing from docs`);
  for (const name of documented) assert.ok(defined.has(name), `docs name unknown ${name}`);
  const slo = await Deno.readTextFile(new URL("../../docs/SLO.md", import.meta.url));
  for (const name of used(slo)) assert.ok(defined.has(name), `docs/SLO.md uses unknown ${name}`);
});

Deno.test("GET /metrics after real delivery to 1,000 domains keeps [observe.metrics] max_domains labels plus other", async () => {
  // The operator's key, through the real configuration parser.
  const { metrics } = parseConfig("[observe.metrics]\nmax_domains = 10\n").observe;
  const hash = await hashToken(READ_TOKEN);
  await using server = await startTestEmpath((config) => {
    config.delivery.enabled = true;
    config.control.tokens = [{ name: "prometheus", hash, scope: "read" }];
    config.observe.metrics = metrics;
    // Every domain goes to one local Maildir: real deliveries, no network.
    config.routes = [{ ...config.routes[0], domains: ["*"] }];
  });
  const domains = Array.from({ length: 1000 }, (_, i) => `d${i}.metrics.test`);
  {
    await using client = await TestSmtpClient.connect(server.port);
    await client.reply();
    await client.command("EHLO metrics.test");
    // 10 messages of 100 recipients (the default max_recipients), each in its own domain.
    for (let first = 0; first < domains.length; first += 100) {
      const reply = await sendMessage(client, {
        from: "a@metrics.test",
        to: domains.slice(first, first + 100).map((domain) => `user@${domain}`),
        body: "Subject: cardinality\r\n\r\nhello",
      });
      assert.equal(reply.code, 250, reply.raw);
    }
    assert.equal((await client.command("QUIT")).code, 221);
  }
  const text = await eventually(async () => {
    const text = await scrapeText(server);
    const delivered = sampleValue(text, "empath_delivery_attempts_total", { result: "delivered" });
    return delivered === 1000 ? text : undefined;
  }, 180_000);
  let files = 0;
  for await (const _ of Deno.readDir(`${server.dir}/maildir/user/new`)) files++;
  assert.equal(files, 1000, "every recipient really delivered");

  const samples = parseSamples(text);
  const labelled = samples.filter((sample) => sample.labels.domain !== undefined);
  assert.deepEqual(
    [...new Set(labelled.map((sample) => sample.name))],
    ["empath_delivery_attempts_total"],
    "no retries or rate limiting in this run",
  );
  const attempts = labelled.filter((sample) => sample.name === "empath_delivery_attempts_total");
  const labels = new Set(attempts.map((sample) => sample.labels.domain));
  assert.equal(labels.size, 11, "10 domains and other");
  assert.ok(labels.has("other"));
  for (const label of labels) assert.ok(label === "other" || domains.includes(label), label);
  const value = (domain: string) =>
    attempts.filter((s) => s.labels.domain === domain).reduce((sum, s) => sum + s.value, 0);
  for (const label of labels) {
    assert.equal(value(label), label === "other" ? 990 : 1, `domain="${label}"`);
  }
});
