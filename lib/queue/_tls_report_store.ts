// The TlsReportStore over a small database port, shared by the Deno KV and the memory queue.
import type { GroupCommitter } from "./_group_committer.ts";
import { checkOp, deleteOp, type KvOp, setOp, sumOp } from "./_kv_ops.ts";
import {
  COUNTS_PREFIX,
  decodeCountsKey,
  FROM_PREFIX,
  fromKey,
  PENDING_PREFIX,
  pendingKey,
  sessionKeys,
} from "./_tls_report_keys.ts";
import type {
  PendingTlsReport,
  TlsFailureCount,
  TlsPolicyCounts,
  TlsReportPeriod,
  TlsReportStore,
  TlsRptPolicy,
  TlsSessionRecord,
  TlsStoredEntry,
} from "./tls_report_types.ts";

/** Entries removed per atomic commit when settling (each costs a check and a delete). */
const SETTLE_CHUNK = 40;

/** One stored entry as a database lists it. */
export interface BackendEntry {
  readonly key: Deno.KvKey;
  readonly value: unknown;
  readonly versionstamp: string;
}

/** What the store needs from a database: listing by prefix and atomic commits. */
export interface TlsReportBackend {
  list(prefix: Deno.KvKey): Promise<BackendEntry[]>;
  /** Commits `ops` atomically; false when a check failed. */
  commit(ops: readonly KvOp[]): Promise<boolean>;
}

/** The backend over the queue's Deno KV handle, committing through its group committer. */
export function kvTlsReportBackend(kv: Deno.Kv, committer: GroupCommitter): TlsReportBackend {
  return {
    list: async (prefix) => {
      const entries: BackendEntry[] = [];
      for await (const entry of kv.list({ prefix })) entries.push(entry);
      return entries;
    },
    commit: (ops) => committer.submit(ops),
  };
}

/** A backend in memory, with the check, set, delete and sum semantics of Deno KV. */
export function memoryTlsReportBackend(): TlsReportBackend {
  const entries = new Map<string, { key: Deno.KvKey; value: unknown; versionstamp: string }>();
  let version = 0;
  const id = (key: Deno.KvKey) => JSON.stringify(key);
  return {
    list: (prefix) => {
      const matches = [...entries.values()].filter((entry) =>
        prefix.every((part, index) => entry.key[index] === part)
      );
      return Promise.resolve(matches.map((entry) => structuredClone(entry)));
    },
    commit: (ops) => {
      const checksPass = ops.every((op) =>
        op.kind !== "check" || (entries.get(id(op.key))?.versionstamp ?? null) === op.versionstamp
      );
      if (!checksPass) return Promise.resolve(false);
      const versionstamp = String(++version).padStart(20, "0");
      for (const op of ops) {
        if (op.kind === "set") {
          entries.set(id(op.key), { key: op.key, value: structuredClone(op.value), versionstamp });
        } else if (op.kind === "delete") entries.delete(id(op.key));
        else if (op.kind === "sum") {
          const sum = BigInt.asUintN(64, counterValue(entries.get(id(op.key))?.value) + op.value);
          entries.set(id(op.key), { key: op.key, value: sum, versionstamp });
        }
      }
      return Promise.resolve(true);
    },
  };
}

/** The {@linkcode TlsReportStore} over `backend`. */
export function tlsReportStore(backend: TlsReportBackend): TlsReportStore {
  return {
    async record(session: TlsSessionRecord): Promise<void> {
      const keys = sessionKeys(session);
      await backend.commit([setOp(keys.policy, session.policy), sumOp(keys.counter, 1)]);
    },
    async periods(): Promise<TlsReportPeriod[]> {
      const [counts, froms] = await Promise.all([
        backend.list(COUNTS_PREFIX),
        backend.list(FROM_PREFIX),
      ]);
      return groupPeriods(counts, froms);
    },
    async settle(period: TlsReportPeriod, reportedUntil?: number): Promise<void> {
      for (let index = 0; index < period.entries.length; index += SETTLE_CHUNK) {
        const chunk = period.entries.slice(index, index + SETTLE_CHUNK);
        if (await backend.commit(chunk.flatMap(removeOps))) continue;
        for (const entry of chunk) await settleOne(backend, entry);
      }
      const early = reportedUntil !== undefined && reportedUntil < period.end;
      await backend.commit([
        early ? setOp(fromKey(period), reportedUntil) : deleteOp(fromKey(period)),
      ]);
    },
    async savePending(report: PendingTlsReport): Promise<void> {
      await backend.commit([setOp(pendingKey(report.id), report, report.body.byteLength + 1024)]);
    },
    async pending(): Promise<PendingTlsReport[]> {
      const entries = await backend.list(PENDING_PREFIX);
      return entries.map((entry) => entry.value as PendingTlsReport)
        .sort((a, b) => a.createdAt - b.createdAt || (a.id < b.id ? -1 : 1));
    },
    async deletePending(id: string): Promise<void> {
      await backend.commit([deleteOp(pendingKey(id))]);
    },
  };
}

/** Removes an entry if it did not change; otherwise subtracts the count that was reported. */
async function settleOne(backend: TlsReportBackend, entry: TlsStoredEntry): Promise<void> {
  if (await backend.commit(removeOps(entry))) return;
  // A policy record that changed belongs to sessions recorded since: it stays.
  if (entry.count !== undefined && entry.count > 0) {
    await backend.commit([sumOp(entry.key, -entry.count)]);
  }
}

function removeOps(entry: TlsStoredEntry): KvOp[] {
  return [checkOp(entry.key, entry.versionstamp), deleteOp(entry.key)];
}

/** A Deno KV `KvU64` (or the memory backend's bigint) as a bigint. */
function counterValue(value: unknown): bigint {
  if (typeof value === "bigint") return value;
  const inner = (value as { value?: unknown } | null)?.value;
  return typeof inner === "bigint" ? inner : 0n;
}

/** A group being assembled: one period of one domain. */
interface PeriodDraft {
  readonly start: number;
  readonly end: number;
  readonly domain: string;
  from: number;
  readonly policies: Map<string, PolicyDraft>;
  readonly entries: TlsStoredEntry[];
}

interface PolicyDraft {
  policy?: TlsRptPolicy;
  successes: number;
  failures: TlsFailureCount[];
}

/** Groups stored entries into periods by domain, oldest period first. */
function groupPeriods(counts: BackendEntry[], froms: BackendEntry[]): TlsReportPeriod[] {
  const drafts = new Map<string, PeriodDraft>();
  const draftFor = (start: number, end: number, domain: string) => {
    const id = JSON.stringify([start, end, domain]);
    let draft = drafts.get(id);
    if (draft === undefined) {
      draft = { start, end, domain, from: start, policies: new Map(), entries: [] };
      drafts.set(id, draft);
    }
    return draft;
  };
  for (const entry of counts) {
    const decoded = decodeCountsKey(entry.key);
    if (decoded === undefined) continue;
    const draft = draftFor(decoded.start, decoded.end, decoded.domain);
    let policy = draft.policies.get(decoded.policyKey);
    if (policy === undefined) {
      draft.policies.set(decoded.policyKey, policy = { successes: 0, failures: [] });
    }
    const { what } = decoded;
    if (what.kind === "policy") {
      policy.policy = entry.value as TlsRptPolicy;
      draft.entries.push({ key: entry.key, versionstamp: entry.versionstamp });
      continue;
    }
    const count = Number(counterValue(entry.value));
    draft.entries.push({ key: entry.key, versionstamp: entry.versionstamp, count });
    if (what.kind === "ok") policy.successes += count;
    else if (count > 0) policy.failures.push({ ...what.failure, count });
  }
  for (const entry of froms) {
    const [, start, end, domain] = entry.key;
    if (typeof start !== "number" || typeof end !== "number" || typeof domain !== "string") {
      continue;
    }
    draftFor(start, end, domain).from = Number(entry.value);
  }
  return [...drafts.values()].map(toPeriod).sort((a, b) =>
    a.start - b.start || a.end - b.end || (a.domain < b.domain ? -1 : a.domain > b.domain ? 1 : 0)
  );
}

function toPeriod(draft: PeriodDraft): TlsReportPeriod {
  const policies: TlsPolicyCounts[] = [];
  for (const [key, counts] of draft.policies) {
    if (counts.successes === 0 && counts.failures.length === 0) continue;
    policies.push({
      policy: counts.policy ?? fallbackPolicy(key),
      successes: counts.successes,
      failures: counts.failures,
    });
  }
  const { start, end, domain, from, entries } = draft;
  return { start, end, domain, from, policies, entries };
}

/** The policy of counters whose policy record is missing (never written without one). */
function fallbackPolicy(key: string): TlsRptPolicy {
  return key.startsWith("sts:")
    ? { type: "sts", id: key.slice(4), strings: [], mx: [] }
    : { type: "no-policy-found", strings: [], mx: [] };
}
