/**
 * The example half of the configuration reference: `config/empath.example.toml` read line by
 * line for the comment blocks that document each key and table.
 *
 * - A key, written (`port = 25`) or commented out (`# port = 25`), is documented by the comment
 *   lines right above it, up to a blank line or a bare `#` line.
 * - A table header, written or commented out (`[tls]`, `# [[dkim]]`), is documented by the
 *   comment lines right above it, up to a blank line (bare `#` lines separate paragraphs): the
 *   summary. Comment paragraphs after the header that are not the first key's block are the
 *   table's prose.
 * - Comments after a value on the same line are notes on the value, not documentation.
 * - A prose comment line never starts with `name =` or is only a table header.
 */
import type { SchemaNode, TableNode } from "./_config_docs_schema.ts";

/** One key as written in the example, with the comment block above it. */
export interface ExampleKey {
  /** The key path, as in {@linkcode ConfigKey.path}. */
  readonly path: string;
  /** The comment lines above the key, joined by spaces; `""` when there are none. */
  readonly doc: string;
  /** 1-based line number. */
  readonly line: number;
  /** For each enclosing array of tables (by path), the number of its table. */
  readonly instances: ReadonlyMap<string, number>;
}

/** The comment paragraphs of one table. */
export interface ExampleTable {
  /** The paragraphs above the header. */
  summary: string[];
  /** The paragraphs below the header, before the first key's block. */
  prose: string[];
}

/** Everything read from the example. */
export interface ExampleDocs {
  readonly keys: readonly ExampleKey[];
  /** Table docs by table path; the first header with comments wins. */
  readonly tables: ReadonlyMap<string, ExampleTable>;
  /** For each table of an array of tables, its discriminator values (`kind` → `"smtp"`). */
  readonly instanceValues: ReadonlyMap<number, ReadonlyMap<string, string>>;
  /** Keys and tables that are not in the schema. */
  readonly problems: readonly string[];
}

type BlockItem = { readonly text: string } | "break" | "blank";

interface TableContext {
  /** `undefined` where any key is accepted unchecked (a free-form or unknown table). */
  readonly table?: TableNode;
  readonly path: string;
  readonly instances: ReadonlyMap<string, number>;
  hasKeys: boolean;
  readonly isRoot: boolean;
}

const SEGMENT = String.raw`(?:[A-Za-z0-9_-]+|"(?:[^"\\]|\\.)*"|'[^']*')`;
const KEY_PATH = String.raw`${SEGMENT}(?:\s*\.\s*${SEGMENT})*`;
const KEY_REGEXP = new RegExp(String.raw`^(${KEY_PATH})\s*=\s*(.*)$`);
const HEADER_REGEXP = new RegExp(String.raw`^(\[\[|\[)\s*(${KEY_PATH})\s*(\]\]|\])\s*(?:#.*)?$`);
const SEGMENT_REGEXP = new RegExp(SEGMENT, "g");

/** Splits a TOML key path into its segments, unquoted. */
function splitKeyPath(text: string): string[] {
  return (text.match(SEGMENT_REGEXP) ?? []).map((segment) => {
    if (segment.startsWith('"')) return JSON.parse(segment) as string;
    return segment.startsWith("'") ? segment.slice(1, -1) : segment;
  });
}

/** Whether a value continues on the next line: an open bracket, brace or multi-line string. */
function isOpenValue(text: string): boolean {
  let depth = 0;
  let quote = "";
  for (let index = 0; index < text.length; index++) {
    const char = text[index];
    if (quote !== "") {
      if (char === "\\" && quote !== "'" && quote !== "'''") index++;
      else if (text.startsWith(quote, index)) {
        index += quote.length - 1;
        quote = "";
      }
    } else if (char === "#") break;
    else if (char === '"' || char === "'") {
      quote = text.startsWith(char.repeat(3), index) ? char.repeat(3) : char;
      index += quote.length - 1;
    } else if (char === "[" || char === "{") depth++;
    else if (char === "]" || char === "}") depth--;
  }
  return depth > 0 || quote.length === 3;
}

/** Reads the example's comment blocks and checks its keys and tables against the schema. */
export function readExample(schema: SchemaNode, text: string): ExampleDocs {
  const reader = new ExampleReader(schema);
  const lines = text.split(/\r?\n/);
  for (let index = 0; index < lines.length; index++) {
    index = reader.readLine(lines, index);
  }
  reader.finish();
  return reader.result();
}

class ExampleReader {
  readonly #root?: TableNode;
  readonly #keys: ExampleKey[] = [];
  readonly #tables = new Map<string, ExampleTable>();
  readonly #instanceValues = new Map<number, Map<string, string>>();
  readonly #latest = new Map<string, number>();
  readonly #problems: string[] = [];
  #block: BlockItem[] = [];
  #context: TableContext;
  #instanceCount = 0;

  constructor(schema: SchemaNode) {
    this.#root = schema.kind === "table" ? schema : undefined;
    this.#context = {
      table: this.#root,
      path: "",
      instances: new Map(),
      hasKeys: false,
      isRoot: true,
    };
  }

  /** Reads the line at `index` and any continuation lines; returns the last index read. */
  readLine(lines: readonly string[], index: number): number {
    const raw = lines[index];
    const trimmed = raw.trim();
    const isComment = trimmed.startsWith("#");
    const text = isComment ? trimmed.slice(1).replace(/^ /, "") : trimmed;
    if (trimmed === "") this.#block.push("blank");
    else if (isComment && text.trim() === "") this.#block.push("break");
    else if (HEADER_REGEXP.test(text)) this.#header(text, index + 1);
    else if (KEY_REGEXP.test(text)) {
      this.#key(text, index + 1);
      let value = text;
      while (isOpenValue(value) && index + 1 < lines.length) {
        index++;
        value += "\n" + lines[index].trim().replace(/^#/, "");
      }
    } else if (isComment) this.#block.push({ text: text.trim() });
    else this.#problems.push(`line ${index + 1}: cannot read "${trimmed}"`);
    return index;
  }

  finish(): void {
    if (!this.#context.hasKeys && !this.#context.isRoot) {
      this.#addTableDocs(this.#context.path, "prose", paragraphs(this.#block));
    }
  }

  result(): ExampleDocs {
    return {
      keys: this.#keys,
      tables: this.#tables,
      instanceValues: this.#instanceValues,
      problems: this.#problems,
    };
  }

  #header(text: string, line: number): void {
    const [, open, name, close] = text.match(HEADER_REGEXP)!;
    const lastBlank = this.#block.lastIndexOf("blank");
    const summary = this.#block.slice(lastBlank + 1);
    if (!this.#context.hasKeys && !this.#context.isRoot && lastBlank > 0) {
      this.#addTableDocs(this.#context.path, "prose", paragraphs(this.#block.slice(0, lastBlank)));
    }
    this.#block = [];
    const isArray = open === "[[" && close === "]]";
    const context = this.#resolveHeader(splitKeyPath(name), isArray);
    if (context === undefined) {
      this.#problems.push(`line ${line}: table "${open}${name}${close}" is not in the schema`);
      this.#context = { path: "", instances: new Map(), hasKeys: false, isRoot: true };
      return;
    }
    this.#context = context;
    this.#addTableDocs(context.path, "summary", paragraphs(summary));
  }

  #key(text: string, line: number): void {
    const [, name, value] = text.match(KEY_REGEXP)!;
    const lastBreak = Math.max(this.#block.lastIndexOf("blank"), this.#block.lastIndexOf("break"));
    const doc = paragraphs(this.#block.slice(lastBreak + 1)).join(" ");
    const context = this.#context;
    if (!context.hasKeys && !context.isRoot && lastBreak > 0) {
      this.#addTableDocs(context.path, "prose", paragraphs(this.#block.slice(0, lastBreak)));
    }
    this.#block = [];
    context.hasKeys = true;
    if (context.table === undefined) return;
    const segments = splitKeyPath(name);
    const path = this.#resolveKey(context.table, context.path, segments);
    if (path === undefined) {
      const where = context.path === "" ? "at the top level" : `in "${context.path}"`;
      this.#problems.push(`line ${line}: key "${name}" ${where} is not in the schema`);
      return;
    }
    if (path !== "") this.#keys.push({ path, doc, line, instances: context.instances });
    if (segments.length === 1 && segments[0] === context.table.discriminator) {
      this.#recordDiscriminator(context, segments[0], value);
    }
  }

  #recordDiscriminator(context: TableContext, key: string, value: string): void {
    const instance = context.instances.get(context.path);
    const text = value.match(/^"((?:[^"\\]|\\.)*)"|^'([^']*)'/);
    if (instance === undefined || text === null) return;
    const values = this.#instanceValues.get(instance) ?? new Map<string, string>();
    values.set(key, text[1] ?? text[2]);
    this.#instanceValues.set(instance, values);
  }

  /** The key's path; `""` for a key that holds a table written inline; `undefined` if unknown. */
  #resolveKey(table: TableNode, base: string, segments: readonly string[]): string | undefined {
    let node: SchemaNode = table;
    let path = base;
    for (const segment of segments) {
      if (node.kind !== "table") return "";
      const field = node.fields.get(segment);
      if (field === undefined) return undefined;
      path = path === "" ? segment : `${path}.${segment}`;
      node = field.node;
    }
    return node.kind === "leaf" ? path : "";
  }

  #resolveHeader(segments: readonly string[], isArray: boolean): TableContext | undefined {
    let table = this.#root;
    let path = "";
    const instances = new Map<string, number>();
    for (let index = 0; index < segments.length; index++) {
      const field = table?.fields.get(segments[index]);
      if (field === undefined) return undefined;
      path = path === "" ? segments[index] : `${path}.${segments[index]}`;
      const node = field.node;
      const isLast = index === segments.length - 1;
      if (node.kind === "array") {
        path += "[]";
        instances.set(path, this.#instance(path, isLast && isArray));
        table = node.item;
      } else if (node.kind === "map" && !isLast) {
        path += `.${node.placeholder}`;
        index++;
        table = node.value;
      } else if (node.kind === "table") table = node;
      else table = undefined;
    }
    return { table, path, instances, hasKeys: false, isRoot: false };
  }

  #instance(path: string, isNew: boolean): number {
    const latest = this.#latest.get(path);
    if (!isNew && latest !== undefined) return latest;
    this.#instanceCount++;
    this.#latest.set(path, this.#instanceCount);
    return this.#instanceCount;
  }

  #addTableDocs(path: string, part: keyof ExampleTable, texts: string[]): void {
    if (texts.length === 0) return;
    const docs = this.#tables.get(path) ?? { summary: [], prose: [] };
    if (docs[part].length === 0) docs[part] = texts;
    this.#tables.set(path, docs);
  }
}

/** Joins the lines of each paragraph with spaces; blank lines and bare `#` separate them. */
function paragraphs(items: readonly BlockItem[]): string[] {
  const result: string[] = [];
  let current: string[] = [];
  for (const item of [...items, "break" as const]) {
    if (typeof item === "object") current.push(item.text);
    else if (current.length > 0) {
      result.push(current.join(" "));
      current = [];
    }
  }
  return result;
}
