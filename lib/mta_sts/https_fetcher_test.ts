// HttpsPolicyFetcher against a real local HTTPS server, reached through a CONNECT proxy.
import assert from "node:assert/strict";
import { testCertificates } from "../../tests/support/certs.ts";
import { startPolicyHost } from "../../tests/support/mta_sts.ts";
import { HttpsPolicyFetcher } from "./https_fetcher.ts";
import { formatPolicy } from "./policy.ts";

const POLICY = { mode: "enforce" as const, mx: ["mx.sts.test", "*.sts.test"], maxAge: 86400 };
const TEXT = formatPolicy(POLICY);

async function fetcherFor(proxyUrl: string, options: { trust?: boolean; timeoutMs?: number } = {}) {
  const { caPem } = await testCertificates();
  return new HttpsPolicyFetcher({
    caCerts: options.trust === false ? undefined : [caPem],
    proxy: proxyUrl,
    timeoutMs: options.timeoutMs ?? 5_000,
  });
}

Deno.test("HttpsPolicyFetcher.fetchPolicy() fetches and parses mta-sts.<domain>'s policy over HTTPS", async () => {
  await using host = await startPolicyHost(["sts.test"], {
    "sts.test": { body: TEXT, contentType: "text/plain; charset=utf-8" },
  });
  using fetcher = await fetcherFor(host.proxyUrl);
  assert.deepEqual(await fetcher.fetchPolicy("sts.test"), { kind: "policy", policy: POLICY });
  assert.deepEqual(host.requests, ["mta-sts.sts.test"]);
});

Deno.test("HttpsPolicyFetcher.fetchPolicy() refuses a certificate not valid for mta-sts.<domain>", async () => {
  await using host = await startPolicyHost(["other.test"], {
    "sts.test": { body: TEXT },
    "other.test": { body: TEXT },
  });
  using fetcher = await fetcherFor(host.proxyUrl);
  const wrongName = await fetcher.fetchPolicy("sts.test");
  assert.equal(wrongName.kind, "failed");
  assert.match((wrongName as { reason: string }).reason, /not valid for name "mta-sts\.sts\.test"/);
  assert.equal((wrongName as { problem?: string }).problem, "webpki-invalid");
  using untrusting = await fetcherFor(host.proxyUrl, { trust: false });
  const untrusted = await untrusting.fetchPolicy("other.test");
  assert.equal(untrusted.kind, "failed");
  assert.match((untrusted as { reason: string }).reason, /certificate/i);
  assert.equal((untrusted as { problem?: string }).problem, "webpki-invalid");
  assert.deepEqual(host.requests, []);
});

Deno.test("HttpsPolicyFetcher.fetchPolicy() accepts only 200 with text/plain, never following redirects", async () => {
  await using host = await startPolicyHost(["a.test", "b.test", "c.test", "d.test"], {
    "a.test": { body: "", status: 301, headers: { location: "https://mta-sts.d.test/x" } },
    "b.test": { body: TEXT, contentType: "text/html" },
    "c.test": { body: "<html>hello</html>" },
    "d.test": { body: TEXT },
  });
  using fetcher = await fetcherFor(host.proxyUrl);
  const reasons = [];
  const problems = [];
  for (const domain of ["a.test", "b.test", "c.test", "missing.test"]) {
    const result = await fetcher.fetchPolicy(domain);
    assert.equal(result.kind, "failed", domain);
    reasons.push((result as { reason: string }).reason);
    problems.push((result as { problem?: string }).problem);
  }
  // RFC 8460 §4.3.2.2: what a TLS report calls each failure.
  assert.deepEqual(problems.slice(0, 3), ["fetch-error", "invalid", "invalid"]);
  assert.match(
    reasons[0],
    /^https:\/\/mta-sts\.a\.test\/\.well-known\/mta-sts\.txt: HTTP status 301$/,
  );
  assert.match(reasons[1], /media type "text\/html" is not text\/plain/);
  assert.match(reasons[2], /Invalid MTA-STS policy/);
  assert.match(reasons[3], /not valid for name|HTTP status 404/);
  assert.ok(!host.requests.includes("mta-sts.d.test"), "the redirect was not followed");
});

Deno.test("HttpsPolicyFetcher.fetchPolicy() refuses a policy above maxBytes, with or without Content-Length", async () => {
  const big = TEXT + `x-padding: ${"a".repeat(70_000)}\r\n`;
  await using host = await startPolicyHost(["big.test", "stream.test", "ok.test"], {
    "big.test": { body: big },
    "stream.test": { body: big, streamed: true },
    "ok.test": { body: TEXT + `x-padding: ${"a".repeat(60_000)}\r\n`, streamed: true },
  });
  using fetcher = await fetcherFor(host.proxyUrl);
  for (const domain of ["big.test", "stream.test"]) {
    const result = await fetcher.fetchPolicy(domain);
    assert.equal(result.kind, "failed", domain);
    assert.match((result as { reason: string }).reason, /larger than 65536 bytes/);
  }
  assert.deepEqual(await fetcher.fetchPolicy("ok.test"), { kind: "policy", policy: POLICY });
});

Deno.test("HttpsPolicyFetcher.fetchPolicy() gives up after timeoutMs and when the host is unreachable", async () => {
  await using host = await startPolicyHost(["slow.test"], {
    "slow.test": { body: TEXT, delayMs: 1_000 },
  });
  using fetcher = await fetcherFor(host.proxyUrl, { timeoutMs: 200 });
  const started = performance.now();
  const slow = await fetcher.fetchPolicy("slow.test");
  assert.deepEqual(slow, {
    kind: "failed",
    reason: "https://mta-sts.slow.test/.well-known/mta-sts.txt: no answer within 200 ms",
    problem: "fetch-error",
  });
  assert.ok(performance.now() - started < 900);
  host.setDown(true);
  const down = await fetcher.fetchPolicy("slow.test");
  assert.equal(down.kind, "failed");
});
