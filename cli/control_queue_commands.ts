/**
 * `empath control queue …`: list, view, stats, flush, and hold, release,
 * retry or delete one message or every message matching a filter.
 *
 * @module
 */
import { type Command, Option } from "commander";
import type { QueuedMessage } from "../lib/queue/mod.ts";
import { expectJson } from "./control_client.ts";
import { watchEvents } from "./control_watch.ts";
import { formatFields, formatTable, formatTime } from "./control_format.ts";
import {
  controlAction,
  type ControlRun,
  type ControlScope,
  positiveInteger,
  printJson,
} from "./control_run.ts";
import { EXIT_FAILURE } from "./exit_codes.ts";

type QueueAction = "retry" | "hold" | "release" | "delete";

const STATES = ["queued", "held"];

const DONE: Readonly<Record<QueueAction, string>> = {
  retry: "Scheduled for retry",
  hold: "Held",
  release: "Released",
  delete: "Deleted",
};

interface ListOptions {
  state?: string;
  domain?: string;
  sender?: string;
  recipient?: string;
  limit?: string;
  cursor?: string;
}

interface ActionOptions {
  state?: string;
  domain?: string;
  sender?: string;
  dryRun?: boolean;
  yes?: boolean;
  bounce?: boolean;
}

/**
 * Adds `queue` and its subcommands to the `control` command.
 *
 * @param control The `control` command.
 * @param scope The I/O and exit-code sink.
 */
export function addQueueCommands(control: Command, scope: ControlScope): void {
  const queue = control.command("queue").description("inspect and act on queued messages");
  queue.command("list")
    .description("list queued messages, oldest first")
    .addOption(new Option("--state <state>", "only messages in this state").choices(STATES))
    .option("--domain <domain>", "only messages with a recipient at this domain")
    .option("--sender <address>", "only messages from this reverse path")
    .option("--recipient <address>", "only messages to this recipient")
    .option("--limit <n>", "at most this many messages (1 to 500)", positiveInteger)
    .option("--cursor <cursor>", "continue after a previous page")
    .action(controlAction(scope, (run, command) => listMessages(run, command.opts())));
  queue.command("view")
    .description("show one message's envelope and recipients")
    .argument("<id>", "the message id")
    .action(controlAction(scope, viewMessage));
  queue.command("body")
    .description("print a message exactly as queued (RFC 5322, with its Received header)")
    .argument("<id>", "the message id")
    .action(controlAction(scope, printBody));
  queue.command("why")
    .description("explain why a message is not delivered yet")
    .argument("<id>", "the message id")
    .action(controlAction(scope, explainDelay));
  queue.command("watch")
    .description("follow delivery events as they happen")
    .option("--id <id>", "only this message")
    .option("--domain <domain>", "only this recipient domain")
    .option("--count <n>", "stop after this many events")
    .action(controlAction(scope, watchEvents));
  queue.command("stats")
    .description("count messages by state and by domain")
    .action(controlAction(scope, showStats));
  queue.command("flush")
    .description("ask the delivery engine to look at the queue now")
    .action(controlAction(scope, flushQueue));
  for (const action of ["retry", "hold", "release", "delete"] as const) {
    addActionCommand(queue, scope, action);
  }
}

function addActionCommand(queue: Command, scope: ControlScope, action: QueueAction): void {
  const command = queue.command(action);
  if (action === "delete") {
    command.option("--bounce", "tell the senders: bounce the undelivered recipients first");
  }
  command
    .description(`${action} one message by id, or every message matching --domain/--sender/--state`)
    .argument("[id]", "the message id")
    .addOption(new Option("--state <state>", "bulk: messages in this state").choices(STATES))
    .option("--domain <domain>", "bulk: messages with a recipient at this domain")
    .option("--sender <address>", "bulk: messages from this reverse path")
    .option("--dry-run", "bulk: only count what would change")
    .option("-y, --yes", "bulk: do not ask for confirmation")
    .action(controlAction(scope, (run, command) => {
      const [id] = command.processedArgs as [string | undefined];
      const options = command.opts<ActionOptions>();
      const isBulk = options.state !== undefined || options.domain !== undefined ||
        options.sender !== undefined;
      if (id !== undefined && isBulk) {
        command.error(`error: give either a message id or --domain/--sender/--state, not both`);
      }
      if (id !== undefined) return singleAction(run, action, id, options.bounce === true);
      if (!isBulk) command.error(`error: give a message id or --domain/--sender/--state`);
      return bulkAction(run, command, action);
    }));
}

/** `queue view <id>`: one message's envelope and recipients. */
async function viewMessage(run: ControlRun, command: Command): Promise<void> {
  const [id] = command.processedArgs as [string];
  const message = await expectJson(run.client.v1.queue[":id"].$get({ param: { id } }));
  if (run.json) printJson(run.io, message);
  else run.io.writeOut(formatMessage(message));
}

/** `queue body <id>`: the message exactly as queued, streamed to standard output. */
async function printBody(run: ControlRun, command: Command): Promise<void> {
  const [id] = command.processedArgs as [string];
  const res = await run.client.v1.queue[":id"].body.$get({ param: { id } });
  if (!res.ok) await expectJson(Promise.resolve(res)); // throws with the API's message
  if (res.body === null) return;
  const decoder = new TextDecoder();
  for await (const chunk of res.body) {
    if (run.io.writeOutBytes) run.io.writeOutBytes(chunk);
    else run.io.writeOut(decoder.decode(chunk, { stream: true }));
  }
}

/** `queue why <id>`: why a message is not delivered yet. */
async function explainDelay(run: ControlRun, command: Command): Promise<void> {
  const [id] = command.processedArgs as [string];
  const why = await expectJson(run.client.v1.queue[":id"].why.$get({ param: { id } }));
  if (run.json) printJson(run.io, why);
  else run.io.writeOut(`${why.sentence}\n`);
}

/** `queue flush`: wakes the delivery engine. */
async function flushQueue(run: ControlRun): Promise<void> {
  const answer = await expectJson(run.client.v1.delivery.process.$post());
  if (run.json) printJson(run.io, answer);
  else run.io.writeOut("Delivery woken: due messages will be attempted now\n");
}

async function showStats(run: ControlRun): Promise<void> {
  const stats = await expectJson(run.client.v1.queue.stats.$get());
  if (run.json) return printJson(run.io, stats);
  run.io.writeOut(formatFields([
    ["messages", stats.total],
    ["bytes", stats.bytes],
    ["oldest", formatTime(stats.oldestCreatedAt)],
  ]));
  run.io.writeOut(`\n${formatTable(["STATE", "MESSAGES"], Object.entries(stats.byState))}`);
  run.io.writeOut(`\n${formatTable(["DOMAIN", "MESSAGES"], Object.entries(stats.byDomain))}`);
}

async function listMessages(run: ControlRun, options: ListOptions): Promise<void> {
  const query = Object.fromEntries(
    Object.entries(options).filter(([, value]) => value !== undefined),
  ) as ListOptions;
  const page = await expectJson(run.client.v1.queue.$get({ query }));
  if (run.json) return printJson(run.io, page);
  if (page.messages.length === 0) {
    run.io.writeOut("No messages\n");
    return;
  }
  run.io.writeOut(formatTable(
    ["ID", "STATE", "PRI", "SIZE", "TRIES", "NEXT ATTEMPT", "FROM", "TO"],
    page.messages.map((message) => [
      message.id,
      message.state,
      message.priority,
      message.size,
      message.attempts,
      formatTime(message.nextAttemptAt),
      message.reversePath === "" ? "<>" : message.reversePath,
      recipientSummary(message.recipients.map((recipient) => recipient.address)),
    ]),
  ));
  if (page.cursor !== undefined) run.io.writeOut(`\nMore: --cursor ${page.cursor}\n`);
}

async function singleAction(
  run: ControlRun,
  action: QueueAction,
  id: string,
  bounce: boolean,
): Promise<void> {
  const param = { param: { id } };
  const messages = run.client.v1.queue[":id"];
  if (action === "delete") {
    const answer = await expectJson(
      messages.$delete({ ...param, query: { bounce: String(bounce) as "true" | "false" } }),
    );
    if (run.json) printJson(run.io, answer);
    else run.io.writeOut(`Deleted message ${id}${answer.bounced ? ", sender notified" : ""}\n`);
    return;
  }
  const answer = await expectJson(
    action === "retry"
      ? messages.retry.$post(param)
      : action === "hold"
      ? messages.hold.$post(param)
      : messages.release.$post(param),
  );
  if (run.json) return printJson(run.io, answer);
  const state = answer.message?.state ?? "unknown";
  run.io.writeOut(
    answer.changed
      ? `${DONE[action]} message ${id} (state ${state})\n`
      : `Message ${id} unchanged (state ${state})\n`,
  );
}

async function bulkAction(run: ControlRun, command: Command, action: QueueAction) {
  const { state, domain, sender, dryRun, yes, bounce } = command.opts<ActionOptions>();
  const filter = { state: state as "queued" | "held" | undefined, domain, sender };
  const post = (dry_run: boolean) =>
    action === "delete"
      ? expectJson(
        run.client.v1.queue.delete.$post({ json: { ...filter, dry_run, bounce: bounce === true } }),
      )
      : expectJson(run.client.v1.queue[action].$post({ json: { ...filter, dry_run } }));
  if (!dryRun && !yes) {
    const preview = await post(true);
    if (preview.matched === 0) {
      if (run.json) printJson(run.io, preview);
      else run.io.writeOut("No messages match\n");
      return;
    }
    const answer = await run.io.confirm?.(
      `${capitalize(action)} ${plural(preview.matched)} matching ${describe(filter)}?`,
    );
    if (answer === undefined) {
      command.error(
        `error: refusing to ${action} ${
          plural(preview.matched)
        } without a terminal to confirm: pass --yes (or --dry-run)`,
      );
    }
    if (!answer) {
      run.io.writeErr("empath: cancelled, nothing changed\n");
      return EXIT_FAILURE;
    }
  }
  const result = await post(dryRun === true);
  if (run.json) return printJson(run.io, result);
  run.io.writeOut(
    result.applied
      ? `${DONE[action]} ${result.changed} of ${plural(result.matched)} matching ${
        describe(filter)
      }\n`
      : `Would ${action} ${plural(result.matched)} matching ${describe(filter)}\n`,
  );
  if (result.sample.length > 0) {
    const more = result.matched > result.sample.length ? " …" : "";
    run.io.writeOut(`  ${result.sample.join(" ")}${more}\n`);
  }
  if (result.bounced !== undefined && result.applied) {
    run.io.writeOut(`Bounces queued: ${result.bounced}\n`);
  }
}

function formatMessage(message: QueuedMessage): string {
  const from = message.receivedFrom;
  const fields = formatFields([
    ["id", message.id],
    ["state", message.state],
    ["priority", message.priority],
    ["from", message.reversePath === "" ? "<>" : message.reversePath],
    ["size", message.size],
    ["received", `${formatTime(message.createdAt)} from ${from.ip} (${from.helo})`],
    ["expires", formatTime(message.expiresAt)],
    ["attempts", message.attempts],
    ["next attempt", formatTime(message.nextAttemptAt)],
    [
      "in delivery",
      message.lease === undefined ? "no" : `until ${formatTime(message.lease.until)}`,
    ],
  ]);
  const recipients = formatTable(
    ["RECIPIENT", "STATUS", "TRIES", "NEXT ATTEMPT", "LAST REPLY"],
    message.recipients.map((recipient) => [
      recipient.address,
      recipient.status,
      recipient.attempts,
      formatTime(recipient.nextAttemptAt),
      recipient.lastReply === undefined
        ? undefined
        : `${recipient.lastReply.code} ${recipient.lastReply.text}`,
    ]),
  );
  return `${fields}\n${recipients}`;
}

function recipientSummary(addresses: readonly string[]): string {
  if (addresses.length <= 1) return addresses[0] ?? "";
  return `${addresses[0]} (+${addresses.length - 1})`;
}

function describe(filter: { state?: string; domain?: string; sender?: string }): string {
  return Object.entries(filter).filter(([, value]) => value !== undefined)
    .map(([key, value]) => `${key} ${value}`).join(", ");
}

function plural(count: number): string {
  return count === 1 ? "1 message" : `${count} messages`;
}

function capitalize(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}
