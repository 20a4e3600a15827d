/**
 * Empath's configuration: TOML parsed with smol-toml, validated with zod into plain data with
 * every default applied, plus the value parsers the schema uses (durations, sizes, rates,
 * networks, listen addresses, destinations), SMTP AUTH password hashing, and
 * {@linkcode redactConfig} for showing a configuration without its secrets.
 *
 * This is the only module that reads the configuration file or the environment.
 *
 * @example Usage
 * ```ts
 * import { ConfigError, parseConfig } from "./mod.ts";
 * import assert from "node:assert/strict";
 *
 * assert.throws(() => parseConfig("[policy]\nmax_recipients = 0\n"), ConfigError);
 * ```
 *
 * @module
 */

export { anyCidrContains, type Cidr, cidrContains, parseCidr } from "./cidr.ts";
export {
  checkConfigExample,
  ConfigDocsError,
  configJsonSchema,
  generateConfigDocs,
  type JsonSchema,
  listConfigKeys,
} from "./config_docs.ts";
export { ConfigError, type ConfigIssue, formatConfigIssue } from "./config_error.ts";
export { formatDuration, parseDuration } from "./duration.ts";
export { formatHostPort, type HostPort, parseHostPort } from "./host_port.ts";
export { type ListenAddress, parseListenAddress } from "./listen_address.ts";
export { loadConfig } from "./load_config.ts";
export { defaultConfig, parseConfig } from "./parse_config.ts";
export { hashPassword, isPasswordHash, verifyPassword } from "./password.ts";
export { formatRate, parseRate } from "./rate.ts";
export { redactConfig } from "./redact_config.ts";
export { parseSize } from "./size.ts";
export { configWarnings, coveredFamilies } from "./warnings.ts";
export type {
  AuditConfig,
  AuditField,
  AuthConfig,
  AuthUserConfig,
  Config,
  ControlConfig,
  ControlScope,
  ControlTokenConfig,
  DkimAlgorithm,
  DkimConfig,
  DnsConfig,
  HookConfig,
  HooksSettingsConfig,
  LimitsConfig,
  ListenerAuth,
  ListenerConfig,
  LogFormat,
  LogLevel,
  ObserveConfig,
  PolicyConfig,
  PriorityConfig,
  QueueConfig,
  TimeoutsConfig,
  TlsConfig,
} from "./types.ts";
export type {
  CircuitBreakerConfig,
  DeliveryConfig,
  DeliveryTimeoutsConfig,
  DeliveryTls,
  DomainPolicy,
  DomainPolicyOverride,
  LmtpRouteConfig,
  MaildirRouteConfig,
  MtaStsConfig,
  RouteAuthConfig,
  RouteConfig,
  RouteKind,
  SmtpRouteConfig,
  TlsRptConfig,
} from "./delivery_types.ts";
export * from "./diff.ts";
export { DEFAULT_OVERSIGNED_HEADERS, DEFAULT_SIGNED_HEADERS } from "./_dkim_schema.ts";
export { DEFAULT_HOOK_TIMEOUT_MS } from "./_hooks_schema.ts";
