import assert from "node:assert/strict";
import { CachingResolver } from "../dns/mod.ts";
import { FakeDnsBackend, ManualClock } from "../dns/testing.ts";
import { type CachedPolicy, MtaStsPolicies, type MtaStsPolicy } from "../mta_sts/mod.ts";
import { FakePolicyFetcher } from "../mta_sts/testing.ts";
import {
  checkDeliveredTls,
  type MtaStsFailure,
  reportTlsRefused,
  screenMxHosts,
  stsConnectionSettings,
  stsDeferral,
  stsTrustStore,
} from "./mta_sts.ts";
import { type Destination, RouteResolver, type StaticRoute } from "./route.ts";

function entry(policy: MtaStsPolicy): CachedPolicy {
  return { domain: "example.org", id: "7", policy, fetchedAt: 0, expiresAt: 1 };
}

const HOSTS = [
  { exchange: "mx1.example.org", preference: 10 },
  { exchange: "mx.attacker.example", preference: 20 },
];

Deno.test("screenMxHosts() keeps only matching MX hosts under enforce and reports the others", () => {
  const failures: MtaStsFailure[] = [];
  const screened = screenMxHosts(
    entry({ mode: "enforce", mx: ["*.example.org"], maxAge: 60 }),
    HOSTS,
    (failure) => failures.push(failure),
  );
  assert.deepEqual(screened, {
    kind: "hosts",
    hosts: [HOSTS[0]],
    requirement: {
      domain: "example.org",
      id: "7",
      mode: "enforce",
      policy: { mode: "enforce", mx: ["*.example.org"], maxAge: 60 },
    },
  });
  assert.deepEqual(failures.map((f) => [f.mode, f.kind, f.host]), [
    ["enforce", "mx-mismatch", "mx.attacker.example"],
  ]);
});

Deno.test("screenMxHosts() defers with 451 4.7.5 when no MX host matches an enforced policy", () => {
  const screened = screenMxHosts(
    entry({ mode: "enforce", mx: ["mail.example.org"], maxAge: 60 }),
    HOSTS,
    () => {},
  );
  assert.equal(screened.kind, "deferred");
  const { reply, reason } = screened as Extract<typeof screened, { kind: "deferred" }>;
  assert.equal(reply.code, 451);
  assert.equal(reply.enhanced, "4.7.5");
  assert.match(reason, /^MTA-STS policy of example\.org not met \(TLS policy unmet\): no MX host/);
});

Deno.test("screenMxHosts() keeps every MX host under testing and reports mismatches", () => {
  const failures: MtaStsFailure[] = [];
  const screened = screenMxHosts(
    entry({ mode: "testing", mx: ["mail.example.org"], maxAge: 60 }),
    HOSTS,
    (failure) => failures.push(failure),
  );
  assert.equal(screened.kind === "hosts" && screened.hosts.length, 2);
  assert.equal(screened.kind === "hosts" && screened.requirement.mode, "testing");
  assert.deepEqual(failures.map((f) => f.host), ["mx1.example.org", "mx.attacker.example"]);
});

Deno.test("stsConnectionSettings() makes enforce win over every configured TLS setting", () => {
  const enforce = { domain: "example.org", id: "1", mode: "enforce" } as const;
  const testing = { ...enforce, mode: "testing" } as const;
  for (const tls of ["disabled", "opportunistic", "required"] as const) {
    assert.deepEqual(
      stsConnectionSettings(enforce, { tls, verifyCertificates: false }, ["ca"]),
      { tls: "required", verifyCertificates: true, caCerts: ["ca"] },
    );
    assert.deepEqual(
      stsConnectionSettings(testing, { tls, verifyCertificates: false, caCerts: ["own"] }),
      { tls, verifyCertificates: false, caCerts: ["own"] },
    );
    assert.deepEqual(
      stsConnectionSettings(undefined, { tls, verifyCertificates: true }, ["ca"]),
      { tls, verifyCertificates: true },
    );
  }
});

Deno.test("checkDeliveredTls() and reportTlsRefused() name plaintext and certificate failures", () => {
  const failures: MtaStsFailure[] = [];
  const report = (failure: MtaStsFailure) => failures.push(failure);
  const testing = { domain: "example.org", id: "1", mode: "testing" } as const;
  checkDeliveredTls(testing, "mx.example.org", undefined, report);
  checkDeliveredTls(testing, "mx.example.org", {
    version: "TLSv1.3",
    cipher: "x",
    verified: false,
    verifyError: "ERR_TLS_CERT_ALTNAME_INVALID",
  }, report);
  checkDeliveredTls(
    testing,
    "mx.example.org",
    { version: "TLSv1.3", cipher: "x", verified: true },
    report,
  );
  const enforce = { ...testing, mode: "enforce" } as const;
  reportTlsRefused(enforce, "mx.example.org", "tls-unavailable: TLS handshake failed: x", report);
  reportTlsRefused(enforce, "mx.example.org", "tls-unavailable: no STARTTLS", report);
  assert.deepEqual(failures.map((f) => `${f.mode} ${f.kind} ${f.detail}`), [
    "testing starttls Delivered without TLS",
    "testing certificate Certificate not valid: ERR_TLS_CERT_ALTNAME_INVALID",
    "enforce certificate tls-unavailable: TLS handshake failed: x",
    "enforce starttls tls-unavailable: no STARTTLS",
  ]);
});

Deno.test("stsDeferral() and stsTrustStore() build the deferral and the MX trust store", () => {
  assert.deepEqual(stsDeferral("example.org", "why"), {
    kind: "deferred",
    reason: "MTA-STS policy of example.org not met (TLS policy unmet): why",
    reply: {
      code: 451,
      enhanced: "4.7.5",
      lines: ["MTA-STS policy of example.org not met (TLS policy unmet): why"],
    },
  });
  assert.equal(stsTrustStore(undefined), undefined);
  assert.equal(stsTrustStore([]), undefined);
  const store = stsTrustStore(["-----BEGIN CERTIFICATE-----extra"]) ?? [];
  assert.ok(store.length > 10, "the default roots are kept");
  assert.equal(store.at(-1), "-----BEGIN CERTIFICATE-----extra");
});

function routeSetup(options: { enabled?: boolean; routes?: StaticRoute[] } = {}) {
  const clock = new ManualClock();
  const backend = new FakeDnsBackend()
    .mx("example.org", [["mx1.example.org", 10], ["mx.attacker.example", 5]])
    .a("mx1.example.org", ["192.0.2.1"])
    .a("mx.attacker.example", ["192.0.2.66"])
    .txt("_mta-sts.example.org", ["v=STSv1; id=7"]);
  const dns = new CachingResolver(backend, { clock, random: () => 0 });
  const fetcher = new FakePolicyFetcher();
  const failures: MtaStsFailure[] = [];
  const routes = new RouteResolver(dns, {
    routes: options.routes ?? [],
    allowPrivateDestinations: false,
    mtaSts: options.enabled ?? true,
  }, {
    policies: new MtaStsPolicies({ dns, fetcher, clock }),
    report: (failure) => failures.push(failure),
  });
  return { routes, fetcher, failures };
}

function names(destination: Destination): string[] {
  return destination.kind === "smtp" ? destination.hops.map((hop) => hop.name) : [];
}

Deno.test("RouteResolver.resolve() drops MX hosts an enforced MTA-STS policy does not list", async () => {
  const { routes, fetcher, failures } = routeSetup();
  fetcher.policy("example.org", { mode: "enforce", mx: ["mx1.example.org"], maxAge: 600 });
  const destination = await routes.resolve("example.org");
  assert.deepEqual(names(destination), ["mx1.example.org"]);
  assert.deepEqual(destination.kind === "smtp" && destination.mtaSts, {
    domain: "example.org",
    id: "7",
    mode: "enforce",
    policy: { mode: "enforce", mx: ["mx1.example.org"], maxAge: 600 },
  });
  assert.deepEqual(failures.map((f) => f.host), ["mx.attacker.example"]);
});

Deno.test("RouteResolver.resolve() defers with 4.7.5 when no MX host is listed by the policy", async () => {
  const { routes, fetcher } = routeSetup();
  fetcher.policy("example.org", { mode: "enforce", mx: ["*.other.example"], maxAge: 600 });
  const destination = await routes.resolve("example.org");
  assert.equal(destination.kind, "deferred");
  assert.equal(destination.kind === "deferred" && destination.reply?.enhanced, "4.7.5");
});

Deno.test("RouteResolver.resolve() ignores MTA-STS for mode none, when disabled, and for routes", async () => {
  const none = routeSetup();
  none.fetcher.policy("example.org", { mode: "none", mx: [], maxAge: 600 });
  const plain = await none.routes.resolve("example.org");
  assert.deepEqual(names(plain), ["mx.attacker.example", "mx1.example.org"]);
  assert.equal(plain.kind === "smtp" && plain.mtaSts, undefined);

  const disabled = routeSetup({ enabled: false });
  disabled.fetcher.policy("example.org", { mode: "enforce", mx: ["mx1.example.org"], maxAge: 9 });
  assert.equal(names(await disabled.routes.resolve("example.org")).length, 2);
  assert.deepEqual(disabled.fetcher.fetches, []);

  const routed = routeSetup({
    routes: [{
      domains: ["example.org"],
      kind: "smtp",
      to: "192.0.2.25:25",
      tls: "opportunistic",
      verifyCertificates: false,
    }],
  });
  routed.fetcher.policy("example.org", { mode: "enforce", mx: ["mx1.example.org"], maxAge: 9 });
  const destination = await routed.routes.resolve("example.org");
  assert.deepEqual(names(destination), ["192.0.2.25"]);
  assert.equal(destination.kind === "smtp" && destination.mtaSts, undefined);
  assert.deepEqual(routed.fetcher.fetches, []);
});
