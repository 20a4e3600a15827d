import { z } from "zod";
import type { Config } from "./types.ts";
import { controlSchema } from "./_control_schema.ts";
import { deliverySchema, dnsSchema, routesSchema } from "./_delivery_schema.ts";
import { dkimSchema } from "./_dkim_schema.ts";
import { hooksSchema, hooksSettingsSchema } from "./_hooks_schema.ts";
import {
  arrayValue,
  booleanValue,
  choiceValue,
  cidrValue,
  domainValue,
  durationValue,
  integerValue,
  listenAddressValue,
  passwordHashValue,
  reportDuplicates,
  sizeValue,
  textValue,
} from "./_schema_values.ts";

const LOG_LEVELS = ["trace", "debug", "info", "warning", "error", "fatal"] as const;

const AUDIT_FIELDS = ["sender", "recipients", "client_ip", "auth_user", "helo"] as const;

const DEFAULT_LISTENER = {
  address: "127.0.0.1:2525",
  name: "smtp",
  starttls: true,
  auth: "disabled",
  dsn: true,
} as const;

const listenerSchema = z.strictObject({
  address: listenAddressValue(),
  name: textValue().optional(),
  starttls: booleanValue().default(true),
  auth: choiceValue(["disabled", "optional", "required"]).default("disabled"),
  dsn: booleanValue().default(true),
}).transform((listener) => ({ ...listener, name: listener.name ?? listener.address }));

/** Listener names Empath gives the messages it queues itself (TLS reports: lib/tls_rpt). */
const RESERVED_LISTENER_NAMES = ["tls-rpt"];

const listenSchema = arrayValue(listenerSchema, 1)
  .superRefine((listeners, context) => {
    for (const [index, { name }] of listeners.entries()) {
      if (!RESERVED_LISTENER_NAMES.includes(name)) continue;
      const message = `reserved name "${name}": expected another name (it marks TLS reports)`;
      context.addIssue({ code: "custom", path: [index, "name"], message, input: name });
    }
    reportDuplicates(listeners.map((listener) => listener.name), context, { key: "name" });
    reportDuplicates(listeners.map((listener) => listener.address), context, { key: "address" });
  })
  .default(() => [{ ...DEFAULT_LISTENER }]);

const tlsSchema = z.strictObject({
  cert: textValue("a PEM certificate file path"),
  key: textValue("a PEM private key file path"),
});

const policySchema = z.strictObject({
  local_domains: arrayValue(domainValue()).default(() => ["localhost"]),
  relay_domains: arrayValue(domainValue()).default(() => []),
  trusted_networks: arrayValue(cidrValue()).default(() => ["127.0.0.0/8", "::1/128"]),
  max_message_size: sizeValue().default(35_000_000),
  max_recipients: integerValue(1).default(100),
}).transform((policy) => ({
  localDomains: policy.local_domains,
  relayDomains: policy.relay_domains,
  trustedNetworks: policy.trusted_networks,
  maxMessageSize: policy.max_message_size,
  maxRecipients: policy.max_recipients,
}));

const timeoutsSchema = z.strictObject({
  command: durationValue().default(5 * 60_000),
  data: durationValue().default(3 * 60_000),
  data_total: durationValue().default(10 * 60_000),
  tls_handshake: durationValue().default(30_000),
  session: durationValue().default(60 * 60_000),
}).transform((timeouts) => ({
  command: timeouts.command,
  data: timeouts.data,
  dataTotal: timeouts.data_total,
  tlsHandshake: timeouts.tls_handshake,
  session: timeouts.session,
}));

const limitsSchema = z.strictObject({
  max_connections: integerValue(1).default(1000),
  max_connections_per_ip: integerValue(1).default(50),
  max_errors: integerValue(1).default(10),
  max_commands: integerValue(1).default(10_000),
  max_line_length: integerValue(1000).default(1000),
  max_command_length: integerValue(512).default(512),
  timeouts: timeoutsSchema.prefault({}),
}).transform((limits) => ({
  maxConnections: limits.max_connections,
  maxConnectionsPerIp: limits.max_connections_per_ip,
  maxErrors: limits.max_errors,
  maxCommands: limits.max_commands,
  maxLineLength: limits.max_line_length,
  maxCommandLength: limits.max_command_length,
  timeouts: limits.timeouts,
}));

const authUserSchema = z.strictObject({
  username: textValue("a non-empty user name"),
  password_hash: passwordHashValue(),
}).transform((user) => ({ username: user.username, passwordHash: user.password_hash }));

const authSchema = z.strictObject({
  users: arrayValue(authUserSchema).superRefine((users, context) => {
    reportDuplicates(users.map((user) => user.username), context, { key: "username" });
  }).default(() => []),
});

const queueSchema = z.strictObject({
  path: textValue("a file path").default("data/empath.kv"),
  max_age: durationValue().default(5 * 24 * 3_600_000),
  retry: arrayValue(durationValue(), 1).default(() => [
    60_000,
    5 * 60_000,
    15 * 60_000,
    3_600_000,
    4 * 3_600_000,
  ]),
  delay_warning: durationValue(0).default(0),
}).transform((queue) => ({
  path: queue.path,
  maxAge: queue.max_age,
  retry: queue.retry,
  delayWarning: queue.delay_warning,
}));

const observeSchema = z.strictObject({
  log: z.strictObject({
    level: choiceValue(LOG_LEVELS).default("info"),
    format: choiceValue(["json", "text"]).default("json"),
  }).prefault({}),
  audit: z.strictObject({
    enabled: booleanValue().default(true),
    sink: choiceValue(["stdout", "file"]).default("stdout"),
    path: textValue("a file path").default("data/audit.jsonl"),
    redact: arrayValue(choiceValue(AUDIT_FIELDS)).default(
      () => ["sender" as const, "recipients" as const],
    ),
  }).prefault({}),
  tracing: z.strictObject({
    include_addresses: booleanValue().default(false),
  }).prefault({}).transform((tracing) => ({ includeAddresses: tracing.include_addresses })),
  metrics: z.strictObject({
    max_domains: integerValue(0).default(100),
  }).prefault({}).transform((metrics) => ({ maxDomains: metrics.max_domains })),
});

/** `[priority]`: the priority of messages nobody gave one, and the header that may set it. */
const prioritySchema = z.strictObject({
  default: integerValue(0, 9).default(5),
  header: z.string().regex(/^([!-9;-~]+)?$/, 'expected a header field name, or ""')
    .default("X-Priority"),
  values: z.record(
    z.string().min(1).transform((value) => value.toLowerCase()),
    integerValue(0, 9),
  ).default(() => ({ "1": 8, "2": 7, "3": 5, "4": 3, "5": 2 })),
});

/** The whole configuration file: snake_case TOML in, camelCase {@linkcode Config} out. */
export const configSchema: z.ZodType<Config, unknown> = z.strictObject({
  hostname: domainValue().optional(),
  shutdown_grace: durationValue(0).default(30_000),
  listen: listenSchema,
  tls: tlsSchema.optional(),
  policy: policySchema.prefault({}),
  limits: limitsSchema.prefault({}),
  auth: authSchema.prefault({}),
  queue: queueSchema.prefault({}),
  priority: prioritySchema.prefault({}),
  observe: observeSchema.prefault({}),
  dns: dnsSchema.prefault({}),
  delivery: deliverySchema.prefault({}),
  routes: routesSchema,
  control: controlSchema.prefault({}),
  dkim: dkimSchema,
  hooks: hooksSchema,
  hooks_settings: hooksSettingsSchema.prefault({}),
}).transform((config) => {
  const { tls, hostname, shutdown_grace, hooks, hooks_settings, ...rest } = config;
  return {
    hostname: hostname ?? systemHostname(),
    shutdownGrace: shutdown_grace,
    ...rest,
    hooks: hooks.map((hook) => ({ ...hook, timeout: hook.timeout ?? hooks_settings.timeout })),
    hooksSettings: hooks_settings,
    ...(tls === undefined ? {} : { tls }),
  };
});

/** The machine's host name, or `"localhost"` without permission or on failure. */
function systemHostname(): string {
  try {
    const permission = Deno.permissions.querySync({ name: "sys", kind: "hostname" });
    if (permission.state !== "granted") return "localhost";
    return Deno.hostname() || "localhost";
  } catch {
    return "localhost";
  }
}
