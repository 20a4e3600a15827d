/**
 * `empath control rate-limit|breaker|mta-sts|dns|connections|config …`: the
 * delivery engine's limits, breakers and cached MTA-STS policies, the DNS
 * cache, open SMTP connections and the running configuration.
 *
 * @module
 */
import type { Command } from "commander";
import { formatRate } from "../lib/config/mod.ts";
import { ControlApiError, expectJson } from "./control_client.ts";
import { formatFields, formatTable, formatTime } from "./control_format.ts";
import {
  controlAction,
  type ControlRun,
  type ControlScope,
  positiveInteger,
  printJson,
} from "./control_run.ts";

/**
 * Adds `rate-limit`, `breaker`, `mta-sts`, `dns`, `connections` and `config` to the `control`
 * command.
 *
 * @param control The `control` command.
 * @param scope The I/O and exit-code sink.
 */
export function addServiceCommands(control: Command, scope: ControlScope): void {
  addRateLimitCommands(control, scope);
  addBreakerCommands(control, scope);
  addMtaStsCommands(control, scope);
  addDnsCommands(control, scope);
  control.command("connections")
    .description("list open SMTP connections")
    .action(controlAction(scope, async (run) => {
      const answer = await expectJson(run.client.v1.system.connections.$get());
      if (run.json) return printJson(run.io, answer);
      if (answer.connections.length === 0) return void run.io.writeOut("No open connections\n");
      run.io.writeOut(formatTable(
        ["ID", "LISTENER", "PEER", "PHASE", "SINCE", "TLS", "USER", "MESSAGES", "IN", "OUT"],
        answer.connections.map((connection) => [
          connection.id,
          connection.listener,
          connection.peer,
          connection.phase,
          formatTime(connection.since),
          connection.tls?.version,
          connection.authenticatedUser,
          connection.messages,
          connection.bytesIn,
          connection.bytesOut,
        ]),
      ));
    }));
  const config = control.command("config").description("the running configuration");
  config.command("show")
    .description("print the running configuration, secrets redacted, as JSON")
    .action(controlAction(scope, async (run) => {
      printJson(run.io, await expectJson(run.client.v1.system.config.$get()));
    }));
  config.command("reload")
    .description("re-read and apply the configuration file (refused, with every error, if invalid)")
    .action(controlAction(scope, reloadConfig));
  addLogLevelCommands(control, scope);
}

async function reloadConfig(run: ControlRun): Promise<void> {
  const res = await run.client.v1.config.reload.$post();
  const body = await res.json() as unknown as ReloadAnswer;
  if (!res.ok || body.error !== undefined) {
    // The message of a refused reload already lists every issue, one per line.
    throw new ControlApiError(res.status, body.error?.message ?? `HTTP ${res.status}`);
  }
  if (run.json) return printJson(run.io, body);
  const changes = body.changes ?? [];
  const restartRequired = body.restartRequired ?? [];
  run.io.writeOut(`Reloaded: ${changes.length} setting(s) changed\n`);
  for (const change of changes) run.io.writeOut(`  ${change.path}\n`);
  if (restartRequired.length > 0) {
    run.io.writeOut(`Apply after a restart: ${restartRequired.join(", ")}\n`);
  }
}

/** The reload answer: the applied changes, or the refusal with every issue. */
interface ReloadAnswer {
  changes?: { path: string }[];
  restartRequired?: string[];
  error?: { message: string };
}

function addLogLevelCommands(control: Command, scope: ControlScope): void {
  const logLevel = control.command("log-level").description("log levels at run time");
  logLevel.command("get")
    .description("show the root level and per-category overrides")
    .action(controlAction(scope, async (run) => {
      const levels = await expectJson(run.client.v1.system["log-level"].$get());
      if (run.json) return printJson(run.io, levels);
      const { level, categories } = levels as unknown as {
        level: string | null;
        categories: { category: string; level: string | null }[];
      };
      run.io.writeOut(formatTable(
        ["CATEGORY", "LEVEL"],
        [["empath", level ?? "off"], ...categories.map((c) => [c.category, c.level ?? "off"])],
      ));
    }));
  logLevel.command("set")
    .description("set the level of the root (no category) or of one category, e.g. empath.smtp")
    .argument("<level>", "trace, debug, info, warning, error, fatal or off")
    .argument("[category]", "dotted category below empath")
    .action(controlAction(scope, async (run, command) => {
      const [level, category] = command.processedArgs as [string, string | undefined];
      const answer = await expectJson(run.client.v1.system["log-level"].$put({
        json: {
          category,
          level: (level === "off" ? null : level) as "info",
        },
      }));
      if (run.json) return printJson(run.io, answer);
      run.io.writeOut(`Log level of ${category ?? "empath"} set to ${level}\n`);
    }));
}

function addRateLimitCommands(control: Command, scope: ControlScope): void {
  const rateLimit = control.command("rate-limit").description("per-domain delivery rate limits");
  rateLimit.command("get")
    .description("show the default limit, the per-domain limits and the live buckets")
    .action(controlAction(scope, showRateLimits));
  rateLimit.command("set")
    .description("set a domain's limit until the next start (rate like 10/s, 100/m, 1000/h)")
    .argument("<domain>", "the recipient domain")
    .argument("<rate>", 'deliveries per time unit, such as "5/s" or "100/m"')
    .option("--burst <n>", "bucket size (default: the domain's current burst)", positiveInteger)
    .action(controlAction(scope, setRateLimit));
  rateLimit.command("unset")
    .description("drop a domain's own limit: the default applies again")
    .argument("<domain>", "the recipient domain")
    .action(controlAction(scope, unsetRateLimit));
}

/** `rate-limit unset <domain>`: back to the default limit. */
async function unsetRateLimit(run: ControlRun, command: Command): Promise<void> {
  const [domain] = command.processedArgs as [string];
  const answer = await expectJson(
    run.client.v1.delivery["rate-limits"][":domain"].$delete({ param: { domain } }),
  );
  if (run.json) return printJson(run.io, answer);
  run.io.writeOut(
    `Rate limit for ${answer.domain}: the default, ${formatRate(answer.ratePerSecond)}, ` +
      `burst ${answer.burst}\n`,
  );
}

/** `rate-limit get`: the default limit, the per-domain limits and the live buckets. */
async function showRateLimits(run: ControlRun): Promise<void> {
  const limits = await expectJson(run.client.v1.delivery["rate-limits"].$get());
  if (run.json) return printJson(run.io, limits);
  const { defaults, overrides, buckets } = limits;
  run.io.writeOut(
    `Default: ${formatRate(defaults.ratePerSecond)}, burst ${defaults.burst}\n\n`,
  );
  run.io.writeOut(formatTable(
    ["DOMAIN", "RATE", "BURST"],
    Object.entries(overrides).map(([domain, limit]) => [
      domain,
      formatRate(limit.ratePerSecond),
      limit.burst,
    ]),
  ));
  if (buckets.length === 0) return;
  run.io.writeOut(`\n${
    formatTable(
      ["BUCKET", "TOKENS", "RATE", "BURST"],
      buckets.map((bucket) => [
        bucket.key,
        bucket.tokens.toFixed(2),
        formatRate(bucket.ratePerSecond),
        bucket.burst,
      ]),
    )
  }`);
}

/** `rate-limit set <domain> <rate>`: a domain's limit until the next start. */
async function setRateLimit(run: ControlRun, command: Command): Promise<void> {
  const [domain, rate] = command.processedArgs as [string, string];
  const { burst } = command.opts<{ burst?: string }>();
  let size = burst === undefined ? undefined : Number(burst);
  if (size === undefined) {
    const limits = await expectJson(run.client.v1.delivery["rate-limits"].$get());
    size = (limits.overrides[domain.toLowerCase()] ?? limits.defaults).burst;
  }
  const answer = await expectJson(run.client.v1.delivery["rate-limits"][":domain"].$put({
    param: { domain },
    json: { rate, burst: size },
  }));
  if (run.json) return printJson(run.io, answer);
  run.io.writeOut(
    `Rate limit for ${answer.domain}: ${formatRate(answer.ratePerSecond)}, burst ${answer.burst}\n`,
  );
  if (answer.released > 0) {
    run.io.writeOut(
      `${answer.released} message(s) that waited for the old limit are due now\n`,
    );
  }
}

function addBreakerCommands(control: Command, scope: ControlScope): void {
  const breaker = control.command("breaker").description("per-destination circuit breakers");
  breaker.command("list")
    .description("list circuit breakers and their state")
    .action(controlAction(scope, async (run) => {
      const answer = await expectJson(run.client.v1.delivery.breakers.$get());
      if (run.json) return printJson(run.io, answer);
      if (answer.breakers.length === 0) return void run.io.writeOut("No circuit breakers\n");
      run.io.writeOut(formatTable(
        ["KEY", "STATE", "FAILURES", "TRIPS", "RECOVERIES", "OPENED"],
        answer.breakers.map((state) => [
          state.key,
          state.state,
          state.failures,
          state.trips,
          state.recoveries,
          formatTime(state.openedAt),
        ]),
      ));
    }));
  breaker.command("reset")
    .description("close a circuit breaker")
    .argument("<key>", "the destination key, as `breaker list` shows it")
    .action(controlAction(scope, async (run, command) => {
      const [key] = command.processedArgs as [string];
      const answer = await expectJson(
        run.client.v1.delivery.breakers[":key"].reset.$post({ param: { key } }),
      );
      if (run.json) printJson(run.io, answer);
      else run.io.writeOut(`Circuit breaker ${answer.key} is ${answer.state}\n`);
    }));
}

function addMtaStsCommands(control: Command, scope: ControlScope): void {
  control.command("mta-sts").description("MTA-STS policies of recipient domains")
    .command("list")
    .description("list the cached policies that have not expired")
    .action(controlAction(scope, async (run) => {
      const answer = await expectJson(run.client.v1.delivery["mta-sts"].$get());
      if (run.json) return printJson(run.io, answer);
      if (answer.policies.length === 0) {
        return void run.io.writeOut("No cached MTA-STS policies\n");
      }
      run.io.writeOut(formatTable(
        ["DOMAIN", "MODE", "ID", "MX", "FETCHED", "EXPIRES"],
        answer.policies.map((policy) => [
          policy.domain,
          policy.mode,
          policy.id,
          policy.mx.join(" ") || "-",
          formatTime(policy.fetchedAt),
          formatTime(policy.expiresAt),
        ]),
      ));
    }));
}

function addDnsCommands(control: Command, scope: ControlScope): void {
  const cache = control.command("dns").description("the DNS cache")
    .command("cache").description("list or flush cached DNS answers");
  cache.command("list")
    .description("show the cache counters and entries")
    .action(controlAction(scope, async (run) => {
      const answer = await expectJson(run.client.v1.dns.cache.$get());
      if (run.json) return printJson(run.io, answer);
      const { stats, entries } = answer;
      run.io.writeOut(formatFields([
        ["entries", stats.entries],
        ["hits", stats.hits],
        ["misses", stats.misses],
        ["errors", stats.errors],
      ]));
      if (entries.length === 0) return;
      run.io.writeOut(`\n${
        formatTable(
          ["NAME", "TYPE", "ANSWER", "EXPIRES"],
          entries.map((entry) => [
            entry.name,
            entry.type,
            entry.result.kind === "records"
              ? `${entry.result.records.length} records`
              : entry.result.kind,
            formatTime(entry.expiresAt),
          ]),
        )
      }`);
    }));
  cache.command("flush")
    .description("forget every cached answer, or those of one domain")
    .argument("[domain]", "only this name")
    .action(controlAction(scope, async (run, command) => {
      const [domain] = command.processedArgs as [string | undefined];
      const dns = run.client.v1.dns.cache;
      const answer = await expectJson(
        domain === undefined ? dns.$delete() : dns[":domain"].$delete({ param: { domain } }),
      );
      if (run.json) return printJson(run.io, answer);
      const target = domain === undefined ? "" : ` for ${domain}`;
      run.io.writeOut(`Removed ${answer.removed} cached DNS answers${target}\n`);
    }));
}
