/**
 * Empath, a mail transfer agent for Deno: the public surface for embedders and
 * tests, and the types and verdict helpers for policy hook modules (docs/HOOKS.md).
 *
 * @example
 * ```ts ignore
 * import { defaultConfig, startEmpath } from "./mod.ts";
 * await using empath = await startEmpath(defaultConfig());
 * ```
 *
 * @module
 */
export { DEFAULT_GRACE_MS, type Empath, startEmpath } from "./lib/app.ts";
export {
  type Config,
  ConfigError,
  defaultConfig,
  loadConfig,
  parseConfig,
} from "./lib/config/mod.ts";
export type { QueuedMessage, QueueStore } from "./lib/queue/mod.ts";
export type { Reply } from "./lib/smtp/mod.ts";
export {
  accept,
  addHeaders,
  defer,
  HOOK_PHASES,
  HookReplyError,
  reject,
  setPriority,
} from "./lib/hooks/mod.ts";
export type {
  AcceptVerdict,
  ConnectInput,
  DataInput,
  DeliveryResultInput,
  DeliveryResultView,
  EnvelopeView,
  HeaderAdditions,
  HeloInput,
  HeloView,
  HookContext,
  HookInput,
  HookPhase,
  HookResult,
  Hooks,
  HookVerdict,
  MailFromInput,
  MessageView,
  PeerView,
  PriorityChange,
  QueuedInput,
  RcptToInput,
  RefuseVerdict,
  SessionView,
  TlsView,
} from "./lib/hooks/mod.ts";
