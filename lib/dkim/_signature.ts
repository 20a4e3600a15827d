// Builds one DKIM-Signature header field (RFC 6376 §3.5, §3.7, §5.4; RFC 8463 §3).
import { createHash } from "node:crypto";
import { relaxedHeader } from "./_canonical.ts";
import { binaryBytes, type HeaderField } from "../smtp/mod.ts";
import type { DkimKey } from "./keys.ts";

const FIELD_NAME = "DKIM-Signature";
/** Folded lines stay within this many characters (RFC 5322 §2.1.1 recommends 78). */
const LINE_WIDTH = 76;
/** Characters of the base64 signature per folded line. */
const SIGNATURE_WIDTH = 72;

/** Everything one signature covers. */
export interface SignatureInput {
  /** The key and its header lists. */
  readonly key: DkimKey;
  /** The message's header fields that the key's lists name, in message order. */
  readonly fields: readonly HeaderField[];
  /** Base64 SHA-256 of the relaxed body (`bh=`). */
  readonly bodyHash: string;
  /** Signing time in seconds since the epoch (`t=`). */
  readonly time: number;
}

/** The `h=` list and the field instances it selects, in hashing order. */
export interface SignedFields {
  /** Names as they go into `h=`, one per instance signed, plus one per over-signed name. */
  readonly names: readonly string[];
  /** The instances the names select (RFC 6376 §5.4.2: from the bottom up). */
  readonly instances: readonly HeaderField[];
}

/**
 * Chooses what a key signs: every present instance of each name in `headers`,
 * bottom-up, and for each name in `oversign` one more, which selects nothing
 * now and so makes an instance added later break the signature (§5.4.2).
 */
export function selectSignedFields(
  key: Pick<DkimKey, "headers" | "oversign">,
  fields: readonly HeaderField[],
): SignedFields {
  const oversigned = new Set(key.oversign.map((name) => name.toLowerCase()));
  const listed = new Set(key.headers.map((name) => name.toLowerCase()));
  const order = [...key.headers, ...key.oversign.filter((name) => !listed.has(name.toLowerCase()))];
  const names: string[] = [];
  const instances: HeaderField[] = [];
  for (const name of order) {
    const lower = name.toLowerCase();
    const present = fields.filter((field) => field.name === lower).reverse();
    instances.push(...present);
    const count = present.length + (oversigned.has(lower) ? 1 : 0);
    for (let i = 0; i < count; i++) names.push(name);
  }
  return { names, instances };
}

/**
 * Computes one `DKIM-Signature:` field, folded, ending with CRLF.
 *
 * @throws {DOMException} If WebCrypto cannot sign with the key.
 */
export async function signatureField(input: SignatureInput): Promise<string> {
  const { key } = input;
  const selected = selectSignedFields(key, input.fields);
  const unsigned = `${foldTags(tagWords(input, selected.names))}\r\n\tb=`;
  let data = "";
  for (const field of selected.instances) data += relaxedHeader(field.text);
  data += relaxedHeader(unsigned).slice(0, -2); // §3.7: the signature field without its CRLF
  const signature = await sign(key, binaryBytes(data));
  const pieces: string[] = [];
  for (let start = 0; start < signature.length; start += SIGNATURE_WIDTH) {
    pieces.push(signature.slice(start, start + SIGNATURE_WIDTH));
  }
  return `${unsigned}${pieces.join("\r\n\t")}\r\n`;
}

/** The tags before `b=`, as words to fold; `h=` is split after each colon. */
function tagWords(input: SignatureInput, names: readonly string[]): Word[] {
  const { key } = input;
  const words: Word[] = [
    "v=1;",
    `a=${key.algorithm}-sha256;`,
    "c=relaxed/relaxed;",
    `d=${key.domain};`,
    `s=${key.selector};`,
    `t=${input.time};`,
  ].map((text) => ({ text, glued: false }));
  names.forEach((name, i) => {
    const text = i === 0 ? `h=${name}` : name;
    words.push({ text: i === names.length - 1 ? `${text};` : `${text}:`, glued: i > 0 });
  });
  words.push({ text: `bh=${input.bodyHash};`, glued: false });
  return words;
}

interface Word {
  readonly text: string;
  /** Joined to the previous word without a space unless the line is folded there. */
  readonly glued: boolean;
}

function foldTags(words: readonly Word[]): string {
  const lines: string[] = [];
  let line = `${FIELD_NAME}:`;
  for (const word of words) {
    const separator = word.glued ? "" : " ";
    if (line.length + separator.length + word.text.length > LINE_WIDTH) {
      lines.push(line);
      line = `\t${word.text}`;
    } else line += separator + word.text;
  }
  lines.push(line);
  return lines.join("\r\n");
}

async function sign(key: DkimKey, data: Uint8Array<ArrayBuffer>): Promise<string> {
  let signature: ArrayBuffer;
  if (key.algorithm === "rsa") {
    signature = await crypto.subtle.sign("RSASSA-PKCS1-v1_5", key.privateKey, data);
  } else {
    // RFC 8463 §3: PureEdDSA over the SHA-256 hash of the header data.
    const digest = createHash("sha256").update(data).digest();
    signature = await crypto.subtle.sign("Ed25519", key.privateKey, new Uint8Array(digest));
  }
  return btoa(String.fromCharCode(...new Uint8Array(signature)));
}
