import { parse as parseToml } from "smol-toml";
import { z } from "zod";
import {
  type ExampleDocs,
  type ExampleKey,
  type ExampleTable,
  readExample,
} from "./_config_docs_example.ts";
import { inlineMarkdown, markdownTable, wrapParagraph } from "./_config_docs_markdown.ts";
import {
  type ConfigKey,
  type ConfigSection,
  type JsonSchema,
  listSections,
  readSchema,
} from "./_config_docs_schema.ts";
import { CONFIG_DOCS_INTRO, CONFIG_DOCS_OUTRO } from "./_config_docs_template.ts";
import { configSchema } from "./_schema.ts";

export type { JsonSchema } from "./_config_docs_schema.ts";

/**
 * The annotated example does not document the schema: keys missing from it, keys it has that
 * the schema does not, or comments without a description or a `Default: …` sentence.
 *
 * @example Usage
 * ```ts
 * import { ConfigDocsError } from "./config_docs.ts";
 * import assert from "node:assert/strict";
 *
 * const error = new ConfigDocsError(['key "port": missing from the example']);
 * assert.equal(error.problems.length, 1);
 * ```
 */
export class ConfigDocsError extends Error {
  /** Every problem, one line each. */
  readonly problems: readonly string[];

  /**
   * @param problems The problems; at least one.
   * @param options `cause`, for errors wrapping another.
   */
  constructor(problems: readonly string[], options?: ErrorOptions) {
    super(
      `Cannot document the configuration: ${problems.length} problem${
        problems.length === 1 ? "" : "s"
      } in the example:\n${problems.map((problem) => `  ${problem}`).join("\n")}`,
      options,
    );
    this.name = "ConfigDocsError";
    this.problems = problems;
  }
}

/** A key's comment, split into its parts. */
interface KeyComment {
  readonly description: string;
  readonly defaultValue?: string;
  readonly saysRequired: boolean;
}

/** A key with what the example says about it. */
interface DocumentedKey {
  readonly key: ConfigKey;
  readonly comment?: KeyComment;
}

/**
 * The JSON Schema of Empath's configuration file, as written (before defaults and
 * transforms): the input of {@linkcode generateConfigDocs}.
 *
 * @returns A JSON Schema (draft 2020-12); values checked by custom code are `{}`.
 *
 * @example Usage
 * ```ts
 * import { configJsonSchema } from "./config_docs.ts";
 * import assert from "node:assert/strict";
 *
 * assert.ok(configJsonSchema().properties?.policy);
 * ```
 */
export function configJsonSchema(): JsonSchema {
  return z.toJSONSchema(configSchema, { io: "input", unrepresentable: "any" }) as JsonSchema;
}

/**
 * Every key path of a configuration schema, in schema order: `[]` marks an array of tables,
 * `<name>` a table name chosen by the user, and a key of some variants of a union of tables
 * names the variant.
 *
 * @param schema The JSON Schema of the configuration.
 * @returns Key paths such as `listen[].address`, `delivery.domains.<domain>.rate` and
 * `routes[].to (kind = "lmtp")`.
 *
 * @example Usage
 * ```ts
 * import { listConfigKeys } from "./config_docs.ts";
 * import assert from "node:assert/strict";
 *
 * const schema = { type: "object", properties: { queue: { type: "object", properties: { path: {} } } } };
 * assert.deepEqual(listConfigKeys(schema), ["queue.path"]);
 * ```
 */
export function listConfigKeys(schema: JsonSchema): string[] {
  return listSections(readSchema(schema)).flatMap((section) => section.keys.map(keyLabel));
}

/**
 * Checks that an annotated example configuration documents every key of the schema, and only
 * those: each key needs a comment right above it with a description, and a `Default: …`
 * sentence when it is optional or a `Required.` sentence when it is required.
 *
 * @param schema The JSON Schema of the configuration.
 * @param example The text of the annotated example (TOML).
 * @returns Every problem, one line each; empty when the example is complete.
 *
 * @example Usage
 * ```ts
 * import { checkConfigExample } from "./config_docs.ts";
 * import assert from "node:assert/strict";
 *
 * const schema = { type: "object", properties: { port: {} } };
 * assert.deepEqual(checkConfigExample(schema, "# The port. Default: 25.\nport = 25\n"), []);
 * ```
 */
export function checkConfigExample(schema: JsonSchema, example: string): string[] {
  return documentConfig(schema, example).problems;
}

/**
 * Generates the configuration reference (docs/CONFIG.md): a fixed introduction, then one
 * section per table in schema order with a row per key (its default, whether it is required
 * and what it does, from the example's comments) and the table's comments as prose.
 *
 * @param schema The JSON Schema of the configuration ({@linkcode configJsonSchema}).
 * @param example The text of the annotated example (config/empath.example.toml).
 * @returns Markdown, formatted as `deno fmt` formats it.
 * @throws {ConfigDocsError} Naming every key missing from the example or not in the schema,
 * and every comment without a description or default.
 *
 * @example Usage
 * ```ts
 * import { generateConfigDocs } from "./config_docs.ts";
 * import assert from "node:assert/strict";
 *
 * const schema = { type: "object", properties: { port: {} } };
 * const markdown = generateConfigDocs(schema, "# The port. Default: 25.\nport = 25\n");
 * assert.ok(markdown.includes("| `port` | `25`    | no       | The port.   |"));
 * ```
 */
export function generateConfigDocs(schema: JsonSchema, example: string): string {
  const { sections, docs, problems } = documentConfig(schema, example);
  if (problems.length > 0) throw new ConfigDocsError(problems);
  const shown = sections.filter(({ section, keys }) =>
    keys.length > 0 || hasTableDocs(section, docs)
  );
  const parts = shown.flatMap(({ section, keys }) => {
    const parents = shown.filter((other) => isParent(other.section, section)).length;
    return renderSection({ section, keys, docs, level: 2 + parents });
  });
  return [CONFIG_DOCS_INTRO, ...parts, CONFIG_DOCS_OUTRO].join("\n\n") + "\n";
}

function tableDocsOf(section: ConfigSection, docs: ExampleDocs): ExampleTable | undefined {
  return section.shape === "variant" ? undefined : docs.tables.get(section.path);
}

function hasTableDocs(section: ConfigSection, docs: ExampleDocs): boolean {
  const tableDocs = tableDocsOf(section, docs);
  return tableDocs !== undefined && tableDocs.summary.length + tableDocs.prose.length > 0;
}

/** Whether `parent` is a table (or variant) that `child` is inside; the top level is none. */
function isParent(parent: ConfigSection, child: ConfigSection): boolean {
  if (parent.shape === "root" || parent.depth >= child.depth) return false;
  if (parent.variant !== undefined && parent.variant.value !== child.variant?.value) return false;
  return child.path === parent.path || child.path.startsWith(`${parent.path}.`);
}

function documentConfig(schema: JsonSchema, example: string) {
  const root = readSchema(schema);
  const docs = readExample(root, example);
  const problems = [...docs.problems];
  const sections = listSections(root).map((section) => ({
    section,
    keys: section.keys.map((key): DocumentedKey => {
      const comment = findComment(key, docs, problems);
      return comment === undefined ? { key } : { key, comment };
    }),
  }));
  return { sections, docs, problems };
}

function keyLabel(key: ConfigKey): string {
  const variant = key.variant;
  return variant === undefined ? key.path : `${key.path} (${variant.key} = "${variant.value}")`;
}

function matchesVariant(key: ConfigKey, entry: ExampleKey, docs: ExampleDocs): boolean {
  const variant = key.variant;
  if (variant === undefined) return true;
  const instance = entry.instances.get(variant.arrayPath);
  const values = instance === undefined ? undefined : docs.instanceValues.get(instance);
  return values?.get(variant.key) === variant.value;
}

function findComment(
  key: ConfigKey,
  docs: ExampleDocs,
  problems: string[],
): KeyComment | undefined {
  const label = `key "${keyLabel(key)}"`;
  const entries = docs.keys.filter((entry) =>
    entry.path === key.path && matchesVariant(key, entry, docs)
  );
  const entry = entries.find((candidate) => candidate.doc !== "");
  if (entry === undefined) {
    problems.push(
      entries.length === 0
        ? `${label}: missing from the example`
        : `${label}: no comment above it (line ${entries[0].line})`,
    );
    return undefined;
  }
  const comment = splitComment(entry.doc);
  const where = `${label} (line ${entry.line})`;
  problems.push(...commentProblems(key, comment).map((problem) => `${where}: ${problem}`));
  return comment;
}

/** What a key's comment lacks: a description, and a default or "Required" as the schema says. */
function commentProblems(key: ConfigKey, comment: KeyComment): string[] {
  const problems: string[] = [];
  if (comment.description === "") problems.push("the comment has no description");
  const hasDefault = comment.defaultValue !== undefined;
  if (key.required) {
    if (hasDefault) problems.push("required, but the comment gives a default");
    if (!comment.saysRequired) problems.push("required, but the comment does not say so");
  } else {
    if (!hasDefault) problems.push('the comment has no "Default: ..." sentence');
    if (comment.saysRequired) problems.push('optional, but the comment says "Required"');
  }
  return problems;
}

/** Splits comment text into sentences, not inside quotes, brackets or code spans. */
function sentences(text: string): string[] {
  const result: string[] = [];
  let depth = 0;
  let quote = "";
  let start = 0;
  for (let index = 0; index < text.length; index++) {
    const char = text[index];
    if (quote !== "") quote = char === quote ? "" : quote;
    else if (char === '"' || char === "`") quote = char;
    else if ("([{".includes(char)) depth++;
    else if (")]}".includes(char)) depth = Math.max(0, depth - 1);
    else if (".!?".includes(char) && depth === 0 && /\s/.test(text[index + 1] ?? " ")) {
      result.push(text.slice(start, index + 1).trim());
      start = index + 1;
    }
  }
  const rest = text.slice(start).trim();
  return rest === "" ? result : [...result, rest];
}

function splitComment(doc: string): KeyComment {
  const parts = sentences(doc);
  const defaultSentence = parts.find((part) => part.startsWith("Default:"));
  const saysRequired = parts.some((part) => /^Required\b/.test(part));
  const description = parts
    .filter((part) => part !== defaultSentence && !/^Required\b/.test(part))
    .join(" ");
  const defaultValue = defaultSentence?.slice("Default:".length).trim().replace(/\.$/, "");
  return defaultValue === undefined
    ? { description, saysRequired }
    : { description, defaultValue, saysRequired };
}

function formatDefault(value: string): string {
  try {
    parseToml(`value = ${value}`);
    return `\`${value}\``;
  } catch {
    return inlineMarkdown(value);
  }
}

function renderKeys(keys: readonly DocumentedKey[]): string {
  const rows = keys.map(({ key, comment }) => [
    `\`${key.name}\``,
    key.required ? "—" : formatDefault(comment?.defaultValue ?? ""),
    key.required ? "yes" : "no",
    inlineMarkdown(comment?.description ?? ""),
  ]);
  return markdownTable(["key", "default", "required", "description"], rows);
}

function heading(
  section: ConfigSection,
  summary: readonly string[],
  depth: number,
): [string, string[]] {
  const level = "#".repeat(Math.min(depth, 6));
  if (section.shape === "root") return [`${level} Top level`, [...summary]];
  const name = `\`${section.header}\``;
  const variant = section.variant;
  if (section.shape === "variant" && variant !== undefined) {
    return [`${level} ${name} with \`${variant.key} = "${variant.value}"\``, [...summary]];
  }
  const [first = "", ...rest] = summary;
  const prefix = `${section.header}: `;
  if (!first.startsWith(prefix)) return [`${level} ${name}`, [...summary]];
  const [title, ...others] = sentences(first.slice(prefix.length));
  const lead = others.join(" ");
  return [
    `${level} ${name}: ${inlineMarkdown(title.replace(/\.$/, ""))}`,
    lead === "" ? rest : [lead, ...rest],
  ];
}

/** A sentence on the table's form: array of tables, named tables, or variant. */
function shapeNote(section: ConfigSection): string | undefined {
  const header = `\`${section.header}\``;
  const variant = section.variant;
  const condition = variant === undefined ? "" : `\`${variant.key} = "${variant.value}"\``;
  switch (section.shape) {
    case "array":
      return `An array of tables: each ${header} header adds one table.`;
    case "map":
      return `Named tables: one ${header} table for each name.`;
    case "variant":
      return `The keys of ${header} tables with ${condition}, besides the keys above.`;
    default: {
      if (variant === undefined) return undefined;
      return `Only in \`[[${variant.arrayPath.slice(0, -2)}]]\` tables with ${condition}.`;
    }
  }
}

function renderSection(options: {
  section: ConfigSection;
  keys: readonly DocumentedKey[];
  docs: ExampleDocs;
  /** The heading level: 2 for a table at the top level, 3 for a table inside it. */
  level: number;
}): string[] {
  const { section, keys, docs, level } = options;
  const tableDocs = tableDocsOf(section, docs);
  const summary = tableDocs?.summary ?? [];
  const prose = tableDocs?.prose ?? [];
  const [title, lead] = heading(section, summary, level);
  const note = shapeNote(section);
  const paragraphs = [...lead, ...prose].map((text) => wrapParagraph(inlineMarkdown(text)));
  return [
    title,
    ...(note === undefined ? [] : [wrapParagraph(note)]),
    ...paragraphs,
    ...(keys.length === 0 ? [] : [renderKeys(keys)]),
  ];
}
