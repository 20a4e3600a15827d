import assert from "node:assert/strict";
import { CachingResolver } from "../dns/mod.ts";
import { FakeDnsBackend, ManualClock } from "../dns/testing.ts";
import { type Destination, RouteResolver, type StaticRoute } from "./route.ts";

function resolver(
  backend: FakeDnsBackend,
  options: { routes?: StaticRoute[]; allowPrivate?: boolean } = {},
) {
  const dns = new CachingResolver(backend, { clock: new ManualClock(), random: () => 0 });
  return new RouteResolver(dns, {
    routes: options.routes ?? [],
    allowPrivateDestinations: options.allowPrivate ?? false,
    mxPort: 25,
  });
}

function hops(destination: Destination) {
  assert.equal(destination.kind, "smtp", JSON.stringify(destination));
  return destination.kind === "smtp"
    ? destination.hops.map((h) => `${h.name}=${h.address}:${h.port}`)
    : [];
}

Deno.test("RouteResolver.resolve() orders MX hosts by preference and resolves their addresses", async () => {
  const backend = new FakeDnsBackend()
    .mx("example.org", [["mx2.example.org", 20], ["mx1.example.org", 10]])
    .a("mx1.example.org", ["192.0.2.1"])
    .a("mx2.example.org", ["192.0.2.2"])
    .aaaa("mx2.example.org", ["2001:db8::2"]);
  assert.deepEqual(hops(await resolver(backend).resolve("example.org")), [
    "mx1.example.org=192.0.2.1:25",
    "mx2.example.org=192.0.2.2:25",
    "mx2.example.org=2001:db8::2:25",
  ]);
});

Deno.test("RouteResolver.resolve() uses the implicit MX when a domain has only an address", async () => {
  const backend = new FakeDnsBackend().a("bare.example", ["192.0.2.9"]);
  assert.deepEqual(hops(await resolver(backend).resolve("bare.example")), [
    "bare.example=192.0.2.9:25",
  ]);
});

Deno.test("RouteResolver.resolve() fails a null MX with 5.1.10 and a missing domain with 5.1.2", async () => {
  const backend = new FakeDnsBackend().mx("nullmx.example", [[".", 0]]);
  const routes = resolver(backend);
  const nullMx = await routes.resolve("nullmx.example");
  assert.equal(nullMx.kind, "failed");
  assert.equal(nullMx.kind === "failed" && nullMx.reply.enhanced, "5.1.10");
  const missing = await routes.resolve("nowhere.example");
  assert.equal(missing.kind === "failed" && missing.reply.enhanced, "5.1.2");
});

Deno.test("RouteResolver.resolve() refuses MX hosts on private or loopback addresses unless allowed", async () => {
  const backend = new FakeDnsBackend()
    .mx("internal.example", [["mx.internal.example", 10]])
    .a("mx.internal.example", ["10.1.2.3", "127.0.0.1"]);
  const refused = await resolver(backend).resolve("internal.example");
  assert.equal(refused.kind, "deferred");
  assert.match(refused.kind === "deferred" ? refused.reason : "", /private or loopback/);
  const allowed = await resolver(backend, { allowPrivate: true }).resolve("internal.example");
  assert.deepEqual(hops(allowed), [
    "mx.internal.example=10.1.2.3:25",
    "mx.internal.example=127.0.0.1:25",
  ]);
  const mixed = new FakeDnsBackend()
    .mx("mixed.example", [["a.mixed.example", 10], ["b.mixed.example", 20]])
    .a("a.mixed.example", ["192.168.1.1"])
    .a("b.mixed.example", ["192.0.2.7"]);
  assert.deepEqual(hops(await resolver(mixed).resolve("mixed.example")), [
    "b.mixed.example=192.0.2.7:25",
  ]);
});

Deno.test("RouteResolver.resolve() lets a configured route win, exact domain before the catch-all", async () => {
  const backend = new FakeDnsBackend().mx("example.org", [["mx.example.org", 10]]).a(
    "mx.example.org",
    ["192.0.2.1"],
  );
  const routes = resolver(backend, {
    routes: [
      { domains: ["local.test"], kind: "maildir", path: "/var/mail" },
      {
        domains: ["lan.test"],
        kind: "smtp",
        to: "10.0.0.5:2525",
        tls: "disabled",
        verifyCertificates: false,
      },
      {
        domains: ["*"],
        kind: "smtp",
        to: "192.0.2.50:587",
        tls: "required",
        verifyCertificates: true,
      },
    ],
  });
  assert.deepEqual(await routes.resolve("LOCAL.test"), { kind: "maildir", root: "/var/mail" });
  // A route may name a private next hop: the administrator chose it.
  assert.deepEqual(hops(await routes.resolve("lan.test")), ["10.0.0.5=10.0.0.5:2525"]);
  const smarthost = await routes.resolve("example.org");
  assert.deepEqual(hops(smarthost), ["192.0.2.50=192.0.2.50:587"]);
  assert.equal(smarthost.kind === "smtp" && smarthost.route?.tls, "required");
});

Deno.test("RouteResolver.resolve() sends a domain literal to its address", async () => {
  const routes = resolver(new FakeDnsBackend(), { allowPrivate: false });
  assert.deepEqual(hops(await routes.resolve("[192.0.2.44]")), ["192.0.2.44=192.0.2.44:25"]);
  assert.equal((await routes.resolve("[127.0.0.1]")).kind, "deferred");
});
