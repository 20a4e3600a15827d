/**
 * `empath control tls-rpt list|send`: SMTP TLS Reporting (RFC 8460), the session counts not yet
 * reported and sending the reports now.
 *
 * @module
 */
import type { Command } from "commander";
import { expectJson } from "./control_client.ts";
import { formatTable, formatTime } from "./control_format.ts";
import { controlAction, type ControlScope, printJson } from "./control_run.ts";

/**
 * Adds `tls-rpt list` and `tls-rpt send` to the `control` command.
 *
 * @param control The `control` command.
 * @param scope The I/O and exit-code sink.
 *
 * @example Usage
 * ```ts ignore
 * addTlsRptCommands(program.command("control"), scope);
 * ```
 */
export function addTlsRptCommands(control: Command, scope: ControlScope): void {
  const tlsRpt = control.command("tls-rpt").description("SMTP TLS reports (RFC 8460)");
  tlsRpt.command("list")
    .description("show the TLS session counts not yet reported, and submissions to retry")
    .action(controlAction(scope, async (run) => {
      const answer = await expectJson(run.client.v1.delivery["tls-rpt"].$get());
      if (run.json) return printJson(run.io, answer);
      if (!answer.enabled) run.io.writeOut("TLS reporting is disabled\n");
      run.io.writeOut(
        answer.periods.length === 0 ? "No TLS sessions recorded\n" : periodsTable(answer.periods),
      );
      if (answer.pending.length > 0) run.io.writeOut(`\n${pendingTable(answer.pending)}`);
    }));
  tlsRpt.command("send")
    .description("send the reports now, the current period up to now included")
    .action(controlAction(scope, async (run) => {
      const answer = await expectJson(run.client.v1.delivery["tls-rpt"].send.$post());
      if (run.json) return printJson(run.io, answer);
      run.io.writeOut(
        `Sent ${answer.reports} TLS reports: ${answer.submitted} submitted, ` +
          `${answer.failed} failed, ${answer.pending} waiting for another try\n`,
      );
    }));
}

/** The periods of `GET /v1/delivery/tls-rpt`, one row per domain and policy. */
function periodsTable(
  periods: readonly {
    readonly domain: string;
    readonly from: number;
    readonly end: number;
    readonly policies: readonly {
      readonly type: string;
      readonly id?: string;
      readonly successes: number;
      readonly failures: readonly { readonly resultType: string; readonly count: number }[];
    }[];
  }[],
): string {
  return formatTable(
    ["DOMAIN", "FROM", "UNTIL", "POLICY", "OK", "FAILED", "FAILURES"],
    periods.flatMap((period) =>
      period.policies.map((policy) => [
        period.domain,
        formatTime(period.from),
        formatTime(period.end),
        policy.id ? `${policy.type}:${policy.id}` : policy.type,
        policy.successes,
        policy.failures.reduce((sum, failure) => sum + failure.count, 0),
        policy.failures.map((failure) => `${failure.resultType}=${failure.count}`).join(" "),
      ])
    ),
  );
}

/** The report submissions waiting for another try. */
function pendingTable(
  pending: readonly {
    readonly id: string;
    readonly domain: string;
    readonly uri: string;
    readonly attempts: number;
    readonly createdAt: number;
  }[],
): string {
  return formatTable(
    ["PENDING", "DOMAIN", "DESTINATION", "TRIES", "BUILT"],
    pending.map((item) => [
      item.id,
      item.domain,
      item.uri,
      item.attempts,
      formatTime(item.createdAt),
    ]),
  );
}
