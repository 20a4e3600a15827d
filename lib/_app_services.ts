/**
 * What the composition root builds from each configuration, at start and at every reload: the
 * services SMTP connections use, the listeners' options, and the listeners. Private to the
 * composition root.
 *
 * @module
 */
import type { Config } from "./config/mod.ts";
import { parseListenAddress } from "./config/mod.ts";
import type { DeliveryEngine } from "./delivery/mod.ts";
import type { AfterQueueWorker } from "./hooks/mod.ts";
import { type AuditTrail, getLogger, type MailEvents } from "./observe/mod.ts";
import {
  Authenticator,
  type ConnectionServices,
  type ListenerOptions,
  loadTlsContext,
  RelayPolicy,
  SmtpListener,
} from "./server/mod.ts";

const logger = getLogger(["empath", "app"]);

/** The connection services that stay the same across reloads. */
export type SharedServices = Pick<
  ConnectionServices,
  "queue" | "now" | "onQueued" | "metrics" | "dkim" | "hooks"
>;

/**
 * The services SMTP connections use under `config`: relay policy, users (failed logins go to the
 * audit trail), the TLS context and tracing options, with the `shared` ones that outlive reloads.
 */
export async function buildServices(
  config: Config,
  shared: SharedServices & { readonly audit?: AuditTrail },
): Promise<ConnectionServices> {
  const { audit, ...common } = shared;
  const tlsContext = config.tls ? await loadTlsContext(config.tls) : undefined;
  return {
    ...common,
    policy: new RelayPolicy(config.policy),
    authenticator: new Authenticator(config.auth.users, {
      onFailure: (failure) =>
        audit?.record({
          event: "AuthFailure",
          source: "smtp",
          client_ip: failure.ip,
          auth_user: failure.username,
          mechanism: failure.mechanism,
        }),
    }),
    tlsContext,
    tracing: config.observe.tracing,
  };
}

/** The options of the listener for `listen`: its address, caps and per-connection settings. */
export function listenerOptions(
  config: Config,
  listen: Config["listen"][number],
  services: ConnectionServices,
): ListenerOptions {
  const { hostname, port } = parseListenAddress(listen.address);
  const { limits, policy } = config;
  return {
    hostname,
    port,
    caps: limits,
    settings: {
      listener: listen.name,
      hostname: config.hostname,
      session: {
        hostname: config.hostname,
        maxMessageSize: policy.maxMessageSize,
        maxRecipients: policy.maxRecipients,
        maxLineLength: limits.maxLineLength,
        maxCommandLength: limits.maxCommandLength,
        maxErrors: limits.maxErrors,
        maxCommands: limits.maxCommands,
        starttls: listen.starttls && services.tlsContext !== undefined,
        tls: false,
        auth: listen.auth,
        dsn: listen.dsn,
      },
      timeouts: { ...limits.timeouts, tls: limits.timeouts.tlsHandshake },
      priority: config.priority,
    },
  };
}

/** Starts the listener for `listen` and logs the address it bound. */
export async function startListener(
  config: Config,
  listen: Config["listen"][number],
  services: ConnectionServices,
): Promise<SmtpListener> {
  if (listen.starttls && services.tlsContext === undefined) {
    logger.info("STARTTLS is not offered on listener {name}: no [tls] certificate is configured", {
      name: listen.name,
    });
  }
  const listener = await SmtpListener.start(listenerOptions(config, listen, services), services);
  const bound = listener.address;
  logger.info("SMTP listener {name} ready on {hostname}:{port}", { name: listen.name, ...bound });
  return listener;
}

/** The parts a committed message is announced to. */
export interface QueuedSubscribers {
  readonly events: MailEvents;
  readonly delivery: Pick<DeliveryEngine, "wake">;
  readonly afterQueue: Pick<AfterQueueWorker, "wake">;
  readonly now: () => number;
}

/**
 * The `onQueued` of every connection: publishes the `received` event, wakes delivery, and wakes
 * the after-queue worker when the message carries tasks.
 */
export function announceQueued(
  subscribers: QueuedSubscribers,
): NonNullable<ConnectionServices["onQueued"]> {
  const { events, delivery, afterQueue, now } = subscribers;
  return ({ id, envelope, size }) => {
    const from = envelope.receivedFrom;
    events.publish({
      type: "received",
      id,
      at: now(),
      sender: envelope.reversePath,
      recipients: envelope.recipients,
      size,
      clientIp: from.ip,
      helo: from.helo,
      tls: from.tls !== undefined,
      authUser: from.authUser,
      listener: from.listener,
    });
    delivery.wake();
    if (envelope.tasks !== undefined) afterQueue.wake();
  };
}
