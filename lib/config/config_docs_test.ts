import assert from "node:assert/strict";
import { z } from "zod";
import {
  checkConfigExample,
  ConfigDocsError,
  configJsonSchema,
  generateConfigDocs,
  type JsonSchema,
  listConfigKeys,
} from "./config_docs.ts";
import { wrapParagraph } from "./_config_docs_markdown.ts";

const EXAMPLE_URL = new URL("../../config/empath.example.toml", import.meta.url);
const DOCS_URL = new URL("../../docs/CONFIG.md", import.meta.url);

/** A small schema with a top-level key, a table, an array of tables, named tables and variants. */
const TINY_SCHEMA = z.toJSONSchema(
  z.strictObject({
    name: z.string().optional(),
    server: z.strictObject({ host: z.string(), port: z.number().default(25) }).optional(),
    users: z.array(z.strictObject({ login: z.string() })).default([]),
    zones: z.record(z.string(), z.strictObject({ ttl: z.number().optional() })).default({}),
    sinks: z.array(z.discriminatedUnion("kind", [
      z.strictObject({ kind: z.literal("file"), path: z.string() }),
      z.strictObject({ kind: z.literal("url"), url: z.string(), retries: z.number().optional() }),
    ])).default([]),
  }),
  { io: "input", unrepresentable: "any" },
) as JsonSchema;

const TINY_EXAMPLE = `# A tiny example.

# The name. Default: "tiny".
# name = "tiny"

# [server]: the server. Where it is.
[server]
# Its host name. Required.
host = "localhost"
# Its port. Default: 25.
port = 25

# [[users]]: accounts. Default: none.
# [[users]]
# Accounts log in with a password.
#
# The login name. Required.
# login = "alice"

# [zones."<zone>"]: one table per zone. Default: none.
[zones."example.test"]
# Time to live, in seconds. Default: none.
ttl = 60

# [[sinks]]: where records go. Default: none.
[[sinks]]
# "file" or "url". Required.
kind = "file"
# The file. Required.
path = "out.log"

# [[sinks]]
# kind = "url"
# The URL. Required.
# url = "https://example.test/in"
# Tries after the first. Default: 0.
# retries = 3
`;

function firstDifference(actual: string, expected: string): string {
  const actualLines = actual.split("\n");
  const expectedLines = expected.split("\n");
  const index = expectedLines.findIndex((line, number) => line !== actualLines[number]);
  const line = index === -1 ? expectedLines.length : index;
  return `line ${line + 1}: expected ${JSON.stringify(expectedLines[line])}, found ${
    JSON.stringify(actualLines[line])
  }`;
}

Deno.test("docs/CONFIG.md is generated from the schema and config/empath.example.toml", async () => {
  const expected = generateConfigDocs(configJsonSchema(), await Deno.readTextFile(EXAMPLE_URL));
  const actual = await Deno.readTextFile(DOCS_URL);
  assert.ok(
    actual === expected,
    `docs/CONFIG.md is stale: run \`deno task docs:config\` (${firstDifference(actual, expected)})`,
  );
});

Deno.test("listConfigKeys() walks tables, arrays of tables, named tables and variants", () => {
  assert.deepEqual(listConfigKeys(TINY_SCHEMA), [
    "name",
    "server.host",
    "server.port",
    "users[].login",
    "zones.<zone>.ttl",
    "sinks[].kind",
    'sinks[].path (kind = "file")',
    'sinks[].url (kind = "url")',
    'sinks[].retries (kind = "url")',
  ]);
});

Deno.test("listConfigKeys() names every kind of key of the configuration schema", () => {
  const keys = listConfigKeys(configJsonSchema());
  for (
    const key of [
      "shutdown_grace",
      "policy.max_message_size",
      "listen[].address",
      "limits.timeouts.command",
      "delivery.domains.<domain>.rate",
      'routes[].to (kind = "lmtp")',
      'routes[].auth.password (kind = "smtp")',
    ]
  ) {
    assert.ok(keys.includes(key), `"${key}" missing from ${keys.join(", ")}`);
  }
});

Deno.test("generateConfigDocs() renders one section per table with the example's comments", () => {
  const markdown = generateConfigDocs(TINY_SCHEMA, TINY_EXAMPLE);
  const expected = [
    "## Top level",
    "",
    "| key    | default  | required | description |",
    "| ------ | -------- | -------- | ----------- |",
    '| `name` | `"tiny"` | no       | The name.   |',
    "",
    "## `[server]`: the server",
    "",
    "Where it is.",
    "",
    "| key    | default | required | description    |",
    "| ------ | ------- | -------- | -------------- |",
    "| `host` | —       | yes      | Its host name. |",
    "| `port` | `25`    | no       | Its port.      |",
    "",
    "## `[[users]]`: accounts",
    "",
    "An array of tables: each `[[users]]` header adds one table.",
    "",
    "Default: none.",
    "",
    "Accounts log in with a password.",
    "",
    "| key     | default | required | description     |",
    "| ------- | ------- | -------- | --------------- |",
    "| `login` | —       | yes      | The login name. |",
    "",
    '## `[zones."<zone>"]`: one table per zone',
    "",
    'Named tables: one `[zones."<zone>"]` table for each name.',
    "",
    "Default: none.",
    "",
    "| key   | default | required | description               |",
    "| ----- | ------- | -------- | ------------------------- |",
    "| `ttl` | none    | no       | Time to live, in seconds. |",
  ].join("\n");
  assert.ok(markdown.includes(expected), markdown);
  assert.match(markdown, /### `\[\[sinks\]\]` with `kind = "url"`\n/);
  assert.ok(markdown.includes("| `retries` | `0`     | no       | Tries after the first. |"));
});

Deno.test("generateConfigDocs() throws naming keys missing from the example or not in the schema", () => {
  const example = TINY_EXAMPLE.replace('host = "localhost"', 'hots = "localhost"')
    .replace("# Tries after the first. Default: 0.\n# retries = 3\n", "");
  assert.throws(() => generateConfigDocs(TINY_SCHEMA, example), (error) => {
    assert.ok(error instanceof ConfigDocsError);
    assert.deepEqual(error.problems, [
      'line 9: key "hots" in "server" is not in the schema',
      'key "server.host": missing from the example',
      'key "sinks[].retries (kind = "url")": missing from the example',
    ]);
    assert.match(error.message, /3 problems/);
    return true;
  });
});

Deno.test("checkConfigExample() reports comments without a description, default or Required", () => {
  const example = TINY_EXAMPLE
    .replace('# The name. Default: "tiny".\n', "")
    .replace("# Its host name. Required.", '# Its host name. Default: "localhost".')
    .replace("# Its port. Default: 25.", "# Its port.")
    .replace("# The login name. Required.", "# Required.")
    .replace('[zones."example.test"]', '[zonez."example.test"]');
  assert.deepEqual(checkConfigExample(TINY_SCHEMA, example), [
    'line 20: table "[zonez."example.test"]" is not in the schema',
    'key "name": no comment above it (line 3)',
    'key "server.host" (line 8): required, but the comment gives a default',
    'key "server.host" (line 8): required, but the comment does not say so',
    'key "server.port" (line 10): the comment has no "Default: ..." sentence',
    'key "users[].login" (line 17): the comment has no description',
    'key "zones.<zone>.ttl": missing from the example',
  ]);
});

Deno.test("wrapParagraph() fills lines like deno fmt, keeping list markers off line starts", () => {
  assert.equal(wrapParagraph("aaa bbb `c c` ddd", 9), "aaa bbb\n`c c` ddd");
  assert.equal(wrapParagraph("aaaa bb - cc", 8), "aaaa\nbb - cc");
  assert.equal(wrapParagraph("aaaa bb 1. cc", 8), "aaaa\nbb 1. cc");
});
