import type { Reply } from "../smtp/mod.ts";

/** Where and how a Maildir delivery happens. */
export interface MaildirTarget {
  /** Root directory; each recipient's mailbox is `<root>/<local-part>/`. */
  readonly root: string;
  /** This host's name, part of every file name (Maildir spec). */
  readonly hostname: string;
}

/** One message to store. */
export interface MaildirMessage {
  readonly id: string;
  readonly reversePath: string;
  readonly body: () => ReadableStream<Uint8Array>;
}

let sequence = 0;

// A local part may only become a directory name when it cannot escape the root.
const SAFE_MAILBOX_REGEXP = /^[A-Za-z0-9!#$%&'*+=?^_`{|}~-][A-Za-z0-9.!#$%&'*+=?^_`{|}~-]{0,63}$/;

/**
 * Delivers a message into a recipient's Maildir: written to `tmp/`, fsynced,
 * then renamed into `new/`, so a reader never sees a partial file and a crash
 * leaves at most a stray file in `tmp/`. `Return-Path:` and `Delivered-To:`
 * headers are prepended, as a local delivery agent does.
 *
 * @returns `250 2.0.0` on success; `550 5.1.1` for a local part that cannot be
 * a mailbox name; `451 4.3.0` for a storage error (deferred, retried).
 *
 * @example
 * ```ts ignore
 * await deliverToMaildir({ root: "data/maildir", hostname: "mx" }, message, "user@localhost");
 * ```
 */
export async function deliverToMaildir(
  target: MaildirTarget,
  message: MaildirMessage,
  recipient: string,
): Promise<Reply> {
  const localPart = recipient.slice(0, recipient.lastIndexOf("@")).toLowerCase();
  if (!SAFE_MAILBOX_REGEXP.test(localPart) || localPart.includes("..")) {
    return { code: 550, enhanced: "5.1.1", lines: [`<${recipient}>: no such mailbox here`] };
  }
  const mailbox = `${target.root}/${localPart}`;
  const name = `${Date.now()}.${message.id}_${sequence++}.${target.hostname.replaceAll("/", "_")}`;
  const tmp = `${mailbox}/tmp/${name}`;
  try {
    await ensureMaildir(mailbox);
    await writeMessage(tmp, message, recipient);
    await Deno.rename(tmp, `${mailbox}/new/${name}`);
    return { code: 250, enhanced: "2.0.0", lines: [`Delivered to maildir ${mailbox}`] };
  } catch (error) {
    await Deno.remove(tmp).catch(() => {});
    const reason = error instanceof Error ? error.message : String(error);
    return { code: 451, enhanced: "4.3.0", lines: [`Cannot write to maildir: ${reason}`] };
  }
}

async function ensureMaildir(mailbox: string): Promise<void> {
  for (const sub of ["tmp", "new", "cur"]) {
    await Deno.mkdir(`${mailbox}/${sub}`, { recursive: true, mode: 0o700 });
  }
}

async function writeMessage(path: string, message: MaildirMessage, recipient: string) {
  const file = await Deno.open(path, { write: true, createNew: true, mode: 0o600 });
  try {
    const headers = `Return-Path: <${message.reversePath}>\r\nDelivered-To: ${recipient}\r\n`;
    await writeAll(file, new TextEncoder().encode(headers));
    for await (const chunk of message.body()) await writeAll(file, chunk);
    await file.sync();
  } finally {
    file.close();
  }
}

async function writeAll(file: Deno.FsFile, bytes: Uint8Array): Promise<void> {
  let offset = 0;
  while (offset < bytes.byteLength) offset += await file.write(bytes.subarray(offset));
}
