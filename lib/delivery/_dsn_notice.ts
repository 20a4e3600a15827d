// The human-readable part of a DSN (RFC 3464 §2.1 / RFC 6522 first part) and
// its subject.
import type { DsnAction, DsnOptions, DsnRecipient } from "./dsn.ts";
import { formatDate, replyText } from "./_dsn_report.ts";
import { wrapWords } from "./_dsn_mime.ts";

const SUBJECTS: Record<DsnAction, string> = {
  failed: "Undelivered Mail Returned to Sender",
  delayed: "Delayed Mail (still being retried)",
  delivered: "Successful Mail Delivery Report",
  relayed: "Successful Mail Delivery Report",
};

const INTROS: Record<DsnAction, string[]> = {
  failed: [
    "Your message could not be delivered to one or more recipients.",
    "The headers of your message are attached below.",
  ],
  delayed: [
    "Your message could not be delivered yet to one or more recipients.",
    "The system will keep trying; you do not need to send it again.",
    "No action is needed on your part.",
  ],
  delivered: ["Your message was delivered to the recipients listed below."],
  relayed: [
    "Your message was passed on to the recipients' mail systems listed below,",
    "which do not confirm delivery: you may not get a further notice.",
  ],
};

const HEADINGS: Record<DsnAction, string> = {
  failed: "Delivery failed permanently:",
  delayed: "Delivery is delayed, the system will try again:",
  delivered: "Delivered:",
  relayed: "Relayed to a system that sends no delivery notices:",
};

const WHITESPACE_REGEXP = /\s+/g;
const ORDER: readonly DsnAction[] = ["failed", "delayed", "delivered", "relayed"];

/** The most important action of a report: failed over delayed over delivered over relayed. */
export function mainAction(recipients: readonly DsnRecipient[]): DsnAction {
  return ORDER.find((action) => recipients.some((r) => r.action === action)) ?? "delivered";
}

/** The Subject of a report. */
export function subjectFor(recipients: readonly DsnRecipient[]): string {
  return SUBJECTS[mainAction(recipients)];
}

function describe(recipient: DsnRecipient): string {
  if (recipient.diagnostic !== undefined) {
    const who = recipient.remoteMta === undefined
      ? "the remote server"
      : `host ${recipient.remoteMta}`;
    return `<${recipient.address}>: ${who} said: ${replyText(recipient.diagnostic)}`;
  }
  if (recipient.reason !== undefined) return `<${recipient.address}>: ${recipient.reason}`;
  return `<${recipient.address}>: status ${recipient.status}`;
}

/**
 * The introduction of a report: a delay warning says until when the system keeps trying (the
 * latest `Will-Retry-Until` of its delayed recipients), when it knows.
 */
function intro(action: DsnAction, recipients: readonly DsnRecipient[]): string[] {
  const delayed = recipients.filter((r) => r.action === "delayed");
  const until = Math.max(...delayed.map((r) => r.willRetryUntil ?? -Infinity));
  if (action !== "delayed" || !Number.isFinite(until)) return INTROS[action];
  return [
    INTROS.delayed[0],
    `The system will keep trying until ${formatDate(until)};`,
    "you do not need to send it again. No action is needed on your part.",
    "If it still cannot be delivered by then, you will get another notice.",
  ];
}

/** Lines of the text/plain part, not yet encoded. */
export function noticeLines(options: DsnOptions): string[] {
  const action = mainAction(options.recipients);
  const lines = [`This is the mail delivery system at ${options.reportingMta}.`, ""];
  lines.push(...intro(action, options.recipients), "");
  for (const section of ORDER) {
    const recipients = options.recipients.filter((r) => r.action === section);
    if (recipients.length === 0) continue;
    lines.push(HEADINGS[section]);
    for (const recipient of recipients) {
      const flat = describe(recipient).replace(WHITESPACE_REGEXP, " ");
      const [first, ...rest] = wrapWords(flat, 72);
      lines.push(`  ${first}`, ...rest.map((line) => `    ${line}`));
    }
    lines.push("");
  }
  return lines;
}
