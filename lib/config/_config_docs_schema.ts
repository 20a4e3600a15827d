/**
 * The schema half of the configuration reference: the JSON Schema of the configuration
 * (`z.toJSONSchema(configSchema, { io: "input" })`) turned into an ordered list of TOML tables
 * and their keys.
 */

/** The parts of a JSON Schema (draft 2020-12, as zod writes it) the walk reads. */
export interface JsonSchema {
  readonly type?: string | readonly string[];
  readonly properties?: Readonly<Record<string, JsonSchema>>;
  readonly required?: readonly string[];
  readonly items?: JsonSchema | readonly JsonSchema[];
  readonly additionalProperties?: boolean | JsonSchema;
  readonly oneOf?: readonly JsonSchema[];
  readonly anyOf?: readonly JsonSchema[];
  readonly allOf?: readonly JsonSchema[];
  readonly const?: unknown;
  readonly $ref?: string;
  readonly $defs?: Readonly<Record<string, JsonSchema>>;
}

/** A value that is not a table: a string, number, boolean, array of values or free-form map. */
export interface LeafNode {
  readonly kind: "leaf";
}

/** A key of a table: present in every variant, or only in the variants listed. */
export interface SchemaField {
  readonly node: SchemaNode;
  /** Required in every variant that has it. */
  readonly required: boolean;
  /** For a key of some variants only: discriminator value → whether it is required there. */
  readonly variants?: ReadonlyMap<string, boolean>;
}

/** A table; a union of tables (`[[routes]]`) has a discriminator key and its values. */
export interface TableNode {
  readonly kind: "table";
  readonly fields: ReadonlyMap<string, SchemaField>;
  readonly discriminator?: string;
  readonly variantValues: readonly string[];
}

/** An array of tables (`[[listen]]`). */
export interface ArrayNode {
  readonly kind: "array";
  readonly item: TableNode;
}

/** A table of tables with free names (`[delivery.domains."<domain>"]`). */
export interface MapNode {
  readonly kind: "map";
  readonly value: TableNode;
  /** The name segment in key paths, such as `<domain>`. */
  readonly placeholder: string;
}

/** One node of the configuration's structure. */
export type SchemaNode = LeafNode | TableNode | ArrayNode | MapNode;

/** A variant of a union of tables: the discriminator key and its value. */
export interface Variant {
  /** The base path of the array of tables the variant belongs to, such as `routes[]`. */
  readonly arrayPath: string;
  readonly key: string;
  readonly value: string;
}

/** A key that takes a value (not a table). */
export interface ConfigKey {
  readonly name: string;
  /** The key path with `[]` for arrays of tables and `<name>` for free names: `listen[].address`. */
  readonly path: string;
  readonly required: boolean;
  readonly variant?: Variant;
}

/** A TOML table with the keys written in it. */
export interface ConfigSection {
  /** The base path: `""` for the top level, `delivery.timeouts`, `routes[]`. */
  readonly path: string;
  /** The table as written in TOML: `[delivery.timeouts]`, `[[routes]]`, `[routes.auth]`. */
  readonly header: string;
  readonly shape: "root" | "table" | "array" | "map" | "variant";
  /** 1 for the top level, 2 for its tables, and so on. */
  readonly depth: number;
  readonly variant?: Variant;
  readonly keys: readonly ConfigKey[];
}

const LEAF: LeafNode = { kind: "leaf" };

/** Reads a JSON Schema into a {@linkcode SchemaNode} tree. */
export function readSchema(root: JsonSchema): SchemaNode {
  return readNode(root, root, "");
}

function resolve(schema: JsonSchema, root: JsonSchema): JsonSchema {
  const prefix = "#/$defs/";
  if (schema.$ref === undefined || !schema.$ref.startsWith(prefix)) return schema;
  const target = root.$defs?.[schema.$ref.slice(prefix.length)];
  return target === undefined ? schema : resolve(target, root);
}

function readNode(input: JsonSchema, root: JsonSchema, name: string): SchemaNode {
  const schema = resolve(input, root);
  const union = schema.oneOf ?? schema.anyOf ?? schema.allOf;
  if (union !== undefined) {
    // A nullable table is a table.
    const options = union.map((option) => resolve(option, root))
      .filter((option) => option.type !== "null");
    if (options.length === 1) return readNode(options[0], root, name);
    const tables = options.map((option) => readNode(option, root, name));
    if (!tables.every((table) => table.kind === "table")) return LEAF;
    return mergeTables(tables as TableNode[], findDiscriminator(options));
  }
  if (schema.properties !== undefined) return readTable(schema, root);
  const extra = schema.additionalProperties;
  if (typeof extra === "object") {
    const value = readNode(extra, root, name);
    return value.kind === "table" ? { kind: "map", value, placeholder: placeholder(name) } : LEAF;
  }
  const items = schema.items;
  if (items !== undefined && !Array.isArray(items)) {
    const item = readNode(items as JsonSchema, root, name);
    return item.kind === "table" ? { kind: "array", item } : LEAF;
  }
  if (schema.type === "object") return { kind: "table", fields: new Map(), variantValues: [] };
  return LEAF;
}

function readTable(schema: JsonSchema, root: JsonSchema): TableNode {
  const required = new Set(schema.required ?? []);
  const fields = new Map<string, SchemaField>();
  for (const [name, property] of Object.entries(schema.properties ?? {})) {
    fields.set(name, { node: readNode(property, root, name), required: required.has(name) });
  }
  return { kind: "table", fields, variantValues: [] };
}

/** The name segment for a table of tables: `domains` → `<domain>`, otherwise `<name>`. */
function placeholder(name: string): string {
  return /^[a-z_]+[^s]s$/.test(name) ? `<${name.slice(0, -1)}>` : "<name>";
}

/** The key with a string `const` in every option, as `z.discriminatedUnion()` writes. */
function findDiscriminator(
  options: readonly JsonSchema[],
): { key: string; values: string[] } | undefined {
  const [first] = options;
  for (const key of Object.keys(first?.properties ?? {})) {
    const values = options.map((option) => option.properties?.[key]?.const);
    if (values.every((value) => typeof value === "string")) return { key, values };
  }
  return undefined;
}

/**
 * Merges the tables of a union. With a discriminator (its value in each table) the keys of
 * some tables only are marked with the variants that have them.
 */
function mergeTables(
  tables: readonly TableNode[],
  discriminator?: { key: string; values: readonly string[] },
): TableNode {
  const fields = new Map<string, SchemaField>();
  const names = [...new Set(tables.flatMap((table) => [...table.fields.keys()]))];
  for (const name of names) {
    const present = tables.flatMap((table, index) => {
      const field = table.fields.get(name);
      return field === undefined ? [] : [{ field, index }];
    });
    const node = mergeNodes(present.map(({ field }) => field.node));
    const required = present.every(({ field }) => field.required);
    if (discriminator === undefined || present.length === tables.length) {
      fields.set(name, { node, required });
      continue;
    }
    const variants = new Map(
      present.map(({ field, index }) => [discriminator.values[index], field.required]),
    );
    fields.set(name, { node, required, variants });
  }
  return {
    kind: "table",
    fields,
    discriminator: discriminator?.key,
    variantValues: discriminator?.values ?? [],
  };
}

function mergeNodes(nodes: readonly SchemaNode[]): SchemaNode {
  const [first] = nodes;
  if (nodes.length === 1 || nodes.some((node) => node.kind !== first.kind)) return first;
  if (first.kind === "table") return mergeTables(nodes as TableNode[]);
  if (first.kind === "array") {
    return { kind: "array", item: mergeTables(nodes.map((node) => (node as ArrayNode).item)) };
  }
  if (first.kind === "map") {
    const value = mergeTables(nodes.map((node) => (node as MapNode).value));
    return { ...first, value };
  }
  return first;
}

interface SectionPlace {
  readonly path: string;
  readonly toml: readonly string[];
  readonly depth: number;
  readonly variant?: Variant;
}

/**
 * Lists the tables of the configuration in schema order, each followed by the tables inside
 * it; a union of tables (`[[routes]]`) lists its common keys, then each variant's own keys.
 */
export function listSections(root: SchemaNode): ConfigSection[] {
  if (root.kind !== "table") return [];
  const sections: ConfigSection[] = [];
  walkTable(root, { path: "", toml: [], depth: 1 }, "root", sections);
  return sections;
}

function joinPath(path: string, name: string): string {
  return path === "" ? name : `${path}.${name}`;
}

function walkTable(
  table: TableNode,
  place: SectionPlace,
  shape: ConfigSection["shape"],
  sections: ConfigSection[],
): void {
  const common = [...table.fields].filter(([, field]) => field.variants === undefined);
  const commonKeys = common.map(([name, field]): [string, boolean] => [name, field.required]);
  sections.push(section(table, place, shape, commonKeys));
  for (const [name, field] of common) walkChild(name, field.node, place, sections);
  const key = table.discriminator;
  if (key === undefined) return;
  for (const value of table.variantValues) {
    const variant = { arrayPath: place.path, key, value };
    const own = [...table.fields].filter(([, field]) => field.variants?.has(value));
    const keys = own.map(([name, field]): [string, boolean] => [
      name,
      field.variants?.get(value) ?? false,
    ]);
    const variantPlace = { ...place, depth: place.depth + 1, variant };
    sections.push(section(table, variantPlace, "variant", keys));
    for (const [name, field] of own) walkChild(name, field.node, variantPlace, sections);
  }
}

/** A section with the keys among `fields` that take values (tables have their own section). */
function section(
  table: TableNode,
  place: SectionPlace,
  shape: ConfigSection["shape"],
  fields: readonly (readonly [string, boolean])[],
): ConfigSection {
  const keys = fields
    .filter(([name]) => table.fields.get(name)?.node.kind === "leaf")
    .map(([name, required]): ConfigKey => ({
      name,
      path: joinPath(place.path, name),
      required,
      ...(place.variant === undefined ? {} : { variant: place.variant }),
    }));
  const toml = place.toml.join(".");
  const header = shape === "root" ? "" : place.path.endsWith("[]") ? `[[${toml}]]` : `[${toml}]`;
  return {
    path: place.path,
    header,
    shape,
    depth: place.depth,
    ...(place.variant === undefined ? {} : { variant: place.variant }),
    keys,
  };
}

function walkChild(
  name: string,
  node: SchemaNode,
  place: SectionPlace,
  sections: ConfigSection[],
): void {
  const path = joinPath(place.path, name);
  const toml = [...place.toml, name];
  const depth = place.depth + 1;
  const variant = place.variant;
  if (node.kind === "table") walkTable(node, { path, toml, depth, variant }, "table", sections);
  if (node.kind === "array") {
    walkTable(node.item, { path: `${path}[]`, toml, depth, variant }, "array", sections);
  }
  if (node.kind === "map") {
    const mapPlace = {
      path: `${path}.${node.placeholder}`,
      toml: [...toml, `"${node.placeholder}"`],
      depth,
      variant,
    };
    walkTable(node.value, mapPlace, "map", sections);
  }
}
