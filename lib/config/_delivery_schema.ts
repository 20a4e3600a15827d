import { z } from "zod";
import type {
  DeliveryConfig,
  DomainPolicy,
  DomainPolicyOverride,
  RouteConfig,
} from "./delivery_types.ts";
import type { DnsConfig } from "./types.ts";
import {
  arrayValue,
  booleanValue,
  checkedValue,
  choiceValue,
  destinationValue,
  domainValue,
  durationValue,
  integerValue,
  isDomainName,
  lmtpTargetValue,
  rateValue,
  routeDomainValue,
  secretValue,
  showValue,
  textValue,
} from "./_schema_values.ts";

const DELIVERY_TLS = ["opportunistic", "required", "disabled"] as const;
/** RFC 5322 dot-atom: the local parts accepted in configured addresses. */
const LOCAL_PART_REGEXP = /^[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*$/;

/** The defaults of `[delivery.defaults]`. */
const DEFAULT_DOMAIN_POLICY: DomainPolicy = {
  rate: 10,
  burst: 20,
  tls: "opportunistic",
  verifyCertificates: false,
  maxConnectionsPerHost: 10,
};

/** `[dns]`. */
export const dnsSchema: z.ZodType<DnsConfig, unknown> = z.strictObject({
  name_server: destinationValue(53, { isIpOnly: true }).optional(),
  cache_ttl: durationValue().default(300_000),
  negative_ttl: durationValue().default(60_000),
  timeout: durationValue().default(5_000),
}).transform((dns) => ({
  ...(dns.name_server === undefined ? {} : { nameServer: dns.name_server }),
  cacheTtl: dns.cache_ttl,
  negativeTtl: dns.negative_ttl,
  timeout: dns.timeout,
}));

const domainPolicyOverrideSchema = z.strictObject({
  rate: rateValue().optional(),
  burst: integerValue(1).optional(),
  tls: choiceValue(DELIVERY_TLS).optional(),
  verify_certificates: booleanValue().optional(),
  max_connections_per_host: integerValue(1).optional(),
}).transform((policy): DomainPolicyOverride => {
  const fields: [keyof DomainPolicy, unknown][] = [
    ["rate", policy.rate],
    ["burst", policy.burst],
    ["tls", policy.tls],
    ["verifyCertificates", policy.verify_certificates],
    ["maxConnectionsPerHost", policy.max_connections_per_host],
  ];
  return Object.fromEntries(fields.filter(([, value]) => value !== undefined));
});

const domainPolicySchema = domainPolicyOverrideSchema.transform((policy): DomainPolicy => ({
  ...DEFAULT_DOMAIN_POLICY,
  ...policy,
}));

const domainKey = z.string().superRefine((key, context) => {
  if (isDomainName(key)) return;
  context.addIssue({
    code: "custom",
    message: `invalid value ${showValue(key)}: expected a domain name such as "example.test"`,
    input: key,
  });
});

const domainsSchema = z.record(domainKey, domainPolicyOverrideSchema)
  .transform((domains, context) => {
    const lowercased: Record<string, DomainPolicyOverride> = {};
    for (const [domain, policy] of Object.entries(domains)) {
      const key = domain.toLowerCase();
      if (Object.hasOwn(lowercased, key)) {
        context.addIssue({
          code: "custom",
          path: [domain],
          message:
            `duplicate domain "${key}": expected each domain once (domains are not case-sensitive)`,
          input: domain,
        });
      }
      lowercased[key] = policy;
    }
    return lowercased;
  });

const circuitBreakerSchema = z.strictObject({
  threshold: integerValue(1).default(5),
  window: durationValue().default(60_000),
  open_for: durationValue().default(5 * 60_000),
}).transform((breaker) => ({
  threshold: breaker.threshold,
  window: breaker.window,
  openFor: breaker.open_for,
}));

const deliveryTimeoutsSchema = z.strictObject({
  connect: durationValue().default(30_000),
  greeting: durationValue().default(5 * 60_000),
  command: durationValue().default(5 * 60_000),
  data_block: durationValue().default(3 * 60_000),
  data_end: durationValue().default(10 * 60_000),
}).transform((timeouts) => ({
  connect: timeouts.connect,
  greeting: timeouts.greeting,
  command: timeouts.command,
  dataBlock: timeouts.data_block,
  dataEnd: timeouts.data_end,
}));

/**
 * An `http://` or `https://` proxy URL with a host and nothing else: no credentials, no path.
 * A rejected value is not echoed: it may hold a password.
 */
function proxyUrlValue() {
  return checkedValue('an HTTP proxy URL such as "http://proxy.example:3128"', (input) => {
    const url = typeof input === "string" ? URL.parse(input.trim()) : null;
    const isProxy = url !== null && (url.protocol === "http:" || url.protocol === "https:") &&
      url.hostname !== "" && url.username === "" && url.password === "" &&
      url.pathname === "/" && url.search === "" && url.hash === "";
    return isProxy ? url.origin : undefined;
  }, { isSecret: true });
}

const mtaStsSchema = z.strictObject({
  enabled: booleanValue().default(true),
  ca_file: textValue("a file path").optional(),
  proxy: proxyUrlValue().optional(),
  cache_size: integerValue(1).default(10_000),
}).transform((sts) => ({
  enabled: sts.enabled,
  ...(sts.ca_file === undefined ? {} : { caFile: sts.ca_file }),
  ...(sts.proxy === undefined ? {} : { proxy: sts.proxy }),
  cacheSize: sts.cache_size,
}));

/** An email address (`local@domain`, a dot-atom local part and a domain name), kept as written. */
function emailValue() {
  return checkedValue('an email address such as "tlsrpt@example.test"', (input) => {
    if (typeof input !== "string") return undefined;
    const at = input.lastIndexOf("@");
    const local = input.slice(0, at);
    const isEmail = at > 0 && LOCAL_PART_REGEXP.test(local) && isDomainName(input.slice(at + 1));
    return isEmail ? input : undefined;
  });
}

const tlsRptSchema = z.strictObject({
  enabled: booleanValue().default(false),
  interval: durationValue(1000).default(86_400_000),
  organization: textValue().optional(),
  contact: emailValue().optional(),
  ca_file: textValue("a file path").optional(),
}).transform((rpt) => ({
  enabled: rpt.enabled,
  interval: rpt.interval,
  ...(rpt.organization === undefined ? {} : { organization: rpt.organization }),
  ...(rpt.contact === undefined ? {} : { contact: rpt.contact }),
  ...(rpt.ca_file === undefined ? {} : { caFile: rpt.ca_file }),
}));

/** `[delivery]` and its sub-tables. */
export const deliverySchema: z.ZodType<DeliveryConfig, unknown> = z.strictObject({
  enabled: booleanValue().default(true),
  concurrency: integerValue(1).default(64),
  allow_private_destinations: booleanValue().default(false),
  port: integerValue(1, 65535).default(25),
  helo_name: domainValue().optional(),
  lease_time: durationValue().default(10 * 60_000),
  defaults: domainPolicySchema.prefault({}),
  domains: domainsSchema.prefault({}),
  circuit_breaker: circuitBreakerSchema.prefault({}),
  timeouts: deliveryTimeoutsSchema.prefault({}),
  mta_sts: mtaStsSchema.prefault({}),
  tls_rpt: tlsRptSchema.prefault({}),
}).transform((delivery) => ({
  enabled: delivery.enabled,
  concurrency: delivery.concurrency,
  allowPrivateDestinations: delivery.allow_private_destinations,
  port: delivery.port,
  ...(delivery.helo_name === undefined ? {} : { heloName: delivery.helo_name }),
  leaseTime: delivery.lease_time,
  defaults: delivery.defaults,
  domains: delivery.domains,
  circuitBreaker: delivery.circuit_breaker,
  timeouts: delivery.timeouts,
  mtaSts: delivery.mta_sts,
  tlsRpt: delivery.tls_rpt,
}));

const routeDomainsSchema = arrayValue(routeDomainValue(), 1);

const routeAuthSchema = z.strictObject({
  username: textValue("a non-empty user name"),
  password: secretValue(),
});

const smtpRouteSchema = z.strictObject({
  domains: routeDomainsSchema,
  kind: z.literal("smtp"),
  to: destinationValue(25),
  tls: choiceValue(DELIVERY_TLS).default("opportunistic"),
  verify_certificates: booleanValue().default(false),
  auth: routeAuthSchema.optional(),
}).transform((route) => ({
  domains: route.domains,
  kind: route.kind,
  to: route.to,
  tls: route.tls,
  verifyCertificates: route.verify_certificates,
  ...(route.auth === undefined ? {} : { auth: route.auth }),
}));

const lmtpRouteSchema = z.strictObject({
  domains: routeDomainsSchema,
  kind: z.literal("lmtp"),
  to: lmtpTargetValue(),
});

const maildirRouteSchema = z.strictObject({
  domains: routeDomainsSchema,
  kind: z.literal("maildir"),
  path: textValue("a directory path"),
});

/** `[[routes]]`: any number of routes, each domain in one route at most. */
export const routesSchema: z.ZodType<RouteConfig[], unknown> = arrayValue(
  z.discriminatedUnion("kind", [smtpRouteSchema, lmtpRouteSchema, maildirRouteSchema]),
).superRefine((routes, context) => {
  const routeByDomain = new Map<string, number>();
  for (const [index, route] of routes.entries()) {
    for (const [position, domain] of route.domains.entries()) {
      const first = routeByDomain.get(domain);
      if (first !== undefined) {
        context.addIssue({
          code: "custom",
          path: [index, "domains", position],
          message:
            `duplicate domain "${domain}": expected each domain once over all routes (first in routes[${first}])`,
          input: domain,
        });
      } else routeByDomain.set(domain, index);
    }
  }
}).default(() => [{ domains: ["localhost"], kind: "maildir" as const, path: "data/maildir" }]);
