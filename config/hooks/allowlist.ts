/**
 * Example policy hook: a recipient allow-list. RCPT TO for an address that is not listed is
 * refused with `550 5.7.1` (after Empath's own relay policy accepted it).
 *
 * The list is the union of:
 * - `EMPATH_ALLOWLIST`: addresses and domains separated by commas or white space;
 * - a JSON file holding an array of the same strings: `EMPATH_ALLOWLIST_FILE`, or
 *   `allowlist.json` beside this module. It is read again whenever it changes.
 *
 * An entry with an `@` is one address (`alice@example.test`); an entry without one, or
 * starting with `@`, is a whole domain (`example.test`, `@example.test`). Comparisons ignore
 * case. `postmaster` is always accepted (RFC 5321 §4.5.1).
 *
 * ```toml
 * [[hooks]]
 * path = "config/hooks/allowlist.ts"
 * ```
 *
 * Run Empath with `--allow-env=EMPATH_ALLOWLIST,EMPATH_ALLOWLIST_FILE` (or `--allow-env`)
 * and read access to the JSON file.
 *
 * @module
 */
import { reject } from "../../mod.ts";
import type { Hooks } from "../../mod.ts";

const SIBLING_FILE = new URL("./allowlist.json", import.meta.url);

/** The parsed file and its modification time, so that it is read again only when it changes. */
let cached: { path: string; mtime: number; entries: string[] } | undefined;

export const onRcptTo: Hooks["onRcptTo"] = async ({ recipient }) => {
  const address = recipient.toLowerCase();
  const at = address.lastIndexOf("@");
  const local = at < 0 ? address : address.slice(0, at);
  if (local === "postmaster") return undefined;
  const domain = at < 0 ? "" : address.slice(at + 1);
  const entries = [...fromEnvironment(), ...await fromFile()];
  const allowed = entries.some((entry) =>
    entry.includes("@") && !entry.startsWith("@")
      ? entry === address
      : entry.replace(/^@/, "") === domain
  );
  return allowed ? undefined : reject(550, "5.7.1", `<${recipient}>: Recipient not allowed`);
};

function fromEnvironment(): string[] {
  const text = Deno.env.get("EMPATH_ALLOWLIST") ?? "";
  return text.split(/[\s,]+/).filter((entry) => entry !== "").map((e) => e.toLowerCase());
}

async function fromFile(): Promise<string[]> {
  const path = Deno.env.get("EMPATH_ALLOWLIST_FILE") ?? SIBLING_FILE;
  const key = String(path);
  let mtime: number;
  try {
    mtime = (await Deno.stat(path)).mtime?.getTime() ?? 0;
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return [];
    throw error; // unreadable: the hook fails, and the client gets 451 4.3.0
  }
  if (cached?.path !== key || cached.mtime !== mtime) {
    const list: unknown = JSON.parse(await Deno.readTextFile(path));
    if (!Array.isArray(list) || !list.every((entry) => typeof entry === "string")) {
      throw new TypeError(`Cannot use allow-list "${key}": expected a JSON array of strings`);
    }
    cached = { path: key, mtime, entries: list.map((entry) => entry.toLowerCase()) };
  }
  return cached.entries;
}
