import assert from "node:assert/strict";
import { CachingResolver } from "../dns/mod.ts";
import { FakeDnsBackend, ManualClock } from "../dns/testing.ts";
import { FakePolicyFetcher } from "../mta_sts/testing.ts";
import { openMemoryQueue } from "../queue/mod.ts";
import { createTlsReporting, tlsReportSubmitter } from "./reporting.ts";

function open(enabled: boolean) {
  const clock = new ManualClock(Date.UTC(2024, 2, 1, 12));
  const queue = openMemoryQueue({ clock });
  const reporting = createTlsReporting({
    enabled,
    intervalMs: 86_400_000,
    hostname: "mx.example.test",
    submitter: tlsReportSubmitter({ hostname: "mx.example.test" }),
  }, { queue, dns: new CachingResolver(new FakeDnsBackend(), { clock }), clock });
  return {
    queue,
    reporting,
    async [Symbol.asyncDispose]() {
      await reporting.stop();
      await queue.close();
    },
  };
}

Deno.test("createTlsReporting() records failed MTA-STS policy fetches as sts-policy-* failures", async () => {
  await using env = open(true);
  const fetcher = env.reporting.observeFetcher(
    new FakePolicyFetcher().policy("good.example", { mode: "enforce", mx: ["mx"], maxAge: 60 }),
  );
  assert.equal((await fetcher.fetchPolicy("good.example")).kind, "policy");
  assert.equal((await fetcher.fetchPolicy("bad.example")).kind, "failed");
  await env.reporting.sessions.flush();
  const snapshot = await env.reporting.snapshot();
  assert.deepEqual(snapshot.periods.map((p) => [p.domain, p.policies]), [[
    "bad.example",
    [{
      type: "sts",
      id: "",
      successes: 0,
      failures: [{ resultType: "sts-policy-fetch-error", count: 1 }],
    }],
  ]]);
  assert.equal(snapshot.enabled, true);
});

Deno.test("createTlsReporting() records nothing while disabled", async () => {
  await using env = open(false);
  env.reporting.start();
  env.reporting.sessions.record({
    domain: "example.org",
    policy: { type: "no-policy-found", strings: [], mx: [] },
  });
  await env.reporting.sessions.flush();
  assert.deepEqual(await env.reporting.snapshot(), { enabled: false, periods: [], pending: [] });
});

Deno.test("tlsReportSubmitter() takes the submitter domain from the contact address", () => {
  assert.deepEqual(
    tlsReportSubmitter({
      hostname: "mx1.example.test",
      organization: "Example Inc.",
      contact: "tls-reports@Example.TEST",
    }),
    { organization: "Example Inc.", contact: "tls-reports@Example.TEST", domain: "example.test" },
  );
});
