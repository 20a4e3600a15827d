/**
 * What a sender asked for with DSN (RFC 3461): which reports each recipient gets (NOTIFY),
 * and what a report carries (ORCPT, ENVID, RET). Pure rules; `BounceSender` and
 * `delayWarningFor` apply them.
 *
 * @module
 */
import type { QueuedMessage, RecipientDsn } from "../queue/mod.ts";
import type { TransactionDsn } from "../smtp/mod.ts";

/** A kind of report a recipient may ask for. */
export type NotifyCondition = "SUCCESS" | "FAILURE" | "DELAY";

/**
 * Tells whether a recipient wants a report of `condition`. Without NOTIFY, failures and
 * delays are reported and successes are not (RFC 3461 §4.1: the default is `FAILURE` or
 * `FAILURE,DELAY`, at the MTA's choice; like Postfix, Empath reports delays); `NEVER` asks
 * for none.
 *
 * @param recipient The recipient's stored DSN request.
 * @param condition What happened.
 * @returns `true` if a report is wanted.
 *
 * @example
 * ```ts
 * import { notifies } from "./dsn_request.ts";
 * import assert from "node:assert/strict";
 * assert.equal(notifies({}, "FAILURE"), true);
 * assert.equal(notifies({}, "SUCCESS"), false);
 * assert.equal(notifies({ notify: ["NEVER"] }, "FAILURE"), false);
 * assert.equal(notifies({ notify: ["SUCCESS"] }, "SUCCESS"), true);
 * ```
 */
export function notifies(recipient: RecipientDsn, condition: NotifyCondition): boolean {
  if (recipient.notify === undefined) return condition !== "SUCCESS";
  return recipient.notify.includes(condition);
}

/** Most octets of an original message returned whole (`RET=FULL`); larger ones: headers only. */
export const MAX_RETURNED_MESSAGE_BYTES = 10 * 1024 * 1024;

/**
 * Tells whether a report returns the whole original message: only for `RET=FULL`, only in a
 * report of failures (RFC 3461 §4.3: success and delay reports carry the headers), and only
 * up to {@linkcode MAX_RETURNED_MESSAGE_BYTES}. Without RET, Empath returns the headers.
 *
 * @param message The original message.
 * @param failure Whether the report lists failed recipients.
 * @returns `true` to attach the whole message.
 *
 * @example
 * ```ts
 * import { returnsFullMessage } from "./dsn_request.ts";
 * returnsFullMessage({ dsn: { ret: "FULL" }, size: 1000 }, true); // true
 * ```
 */
export function returnsFullMessage(
  message: Pick<QueuedMessage, "dsn" | "size">,
  failure: boolean,
): boolean {
  return failure && message.dsn?.ret === "FULL" && message.size <= MAX_RETURNED_MESSAGE_BYTES;
}

/**
 * The DSN parameters of `message` to pass on to a next hop for `recipients` (RFC 3461 §6.2.1:
 * sent only if the hop offers DSN), or none when the sender gave none.
 *
 * @param message The message.
 * @param recipients The addresses of this transaction, in order.
 * @returns RET, ENVID and each recipient's NOTIFY and ORCPT, or undefined.
 *
 * @example
 * ```ts
 * import { transactionDsn } from "./dsn_request.ts";
 * const message = { recipients: [{ address: "b@x.example", notify: ["NEVER" as const] }] };
 * transactionDsn(message, ["b@x.example"])?.recipients; // [{ notify: ["NEVER"] }]
 * ```
 */
export function transactionDsn(
  message: Pick<QueuedMessage, "dsn"> & {
    recipients: readonly (RecipientDsn & { address: string })[];
  },
  recipients: string[],
): TransactionDsn | undefined {
  const byAddress = new Map(message.recipients.map((r) => [r.address, r]));
  const params = recipients.map((address) => {
    const { notify, orcpt } = byAddress.get(address) ?? {};
    return { ...(notify ? { notify } : {}), ...(orcpt ? { orcpt } : {}) };
  });
  const { ret, envid } = message.dsn ?? {};
  if (ret === undefined && envid === undefined && !params.some((p) => p.notify || p.orcpt)) {
    return undefined;
  }
  return { ret, envid, recipients: params };
}
