import assert from "node:assert/strict";
import { ConfigError } from "./config_error.ts";
import { parseConfig } from "./parse_config.ts";
import { DEFAULT_SIGNED_HEADERS } from "./_dkim_schema.ts";

function problems(toml: string): string[] {
  try {
    parseConfig(toml, "empath.toml");
  } catch (error) {
    if (error instanceof ConfigError) return error.message.split("\n");
    throw error;
  }
  return [];
}

Deno.test("parseConfig() has no [[dkim]] keys by default", () => {
  assert.deepEqual(parseConfig("").dkim, []);
});

Deno.test("parseConfig() reads [[dkim]] with defaults: From over-signed, no subdomains", () => {
  const config = parseConfig(
    '[[dkim]]\ndomain = "Example.TEST"\nselector = "S1"\nkey = "config/dkim/k.pem"\n' +
      '[[dkim]]\ndomain = "example.test"\nselector = "ed1"\nkey = "e.pem"\nalgorithm = "ed25519"\n' +
      'headers = ["From", "Subject"]\noversign = []\nsubdomains = true\n',
  );
  assert.deepEqual(config.dkim, [
    {
      domain: "example.test",
      selector: "s1",
      key: "config/dkim/k.pem",
      headers: [...DEFAULT_SIGNED_HEADERS],
      oversign: ["From"],
      subdomains: false,
    },
    {
      domain: "example.test",
      selector: "ed1",
      key: "e.pem",
      algorithm: "ed25519",
      headers: ["From", "Subject"],
      oversign: [],
      subdomains: true,
    },
  ]);
});

Deno.test("parseConfig() reports bad [[dkim]] values by key path", () => {
  assert.deepEqual(
    problems(
      '[[dkim]]\ndomain = "example.test"\nselector = "s_1"\nkey = ""\nalgorithm = "dsa"\n' +
        'oversign = ["Bad:Name"]\n',
    ),
    [
      'empath.toml: dkim[0].selector: invalid value "s_1": expected a selector such as "s1" or "2024-01" (letters, digits, hyphens, dots)',
      'empath.toml: dkim[0].key: invalid value "": expected a PEM private key file path',
      'empath.toml: dkim[0].algorithm: invalid value "dsa": expected one of "rsa", "ed25519"',
      'empath.toml: dkim[0].oversign[0]: invalid value "Bad:Name": expected a header field name such as "Subject"',
    ],
  );
  assert.deepEqual(
    problems('[[dkim]]\ndomain = "example.test"\nselector = "s1"\nkey = "k"\nheaders = ["To"]\n'),
    [
      'empath.toml: dkim[0].headers: invalid value ["To"]: expected a list that includes "From" (RFC 6376 §5.4)',
    ],
  );
});

Deno.test("parseConfig() rejects a repeated selector, header or DKIM-Signature in [[dkim]]", () => {
  const entry = '[[dkim]]\ndomain = "example.test"\nselector = "s1"\nkey = "k"\n';
  assert.deepEqual(
    problems(`${entry}${entry}headers = ["From", "from", "DKIM-Signature"]\n`),
    [
      'empath.toml: dkim[1].headers[1]: duplicate header field "from": expected each name once',
      'empath.toml: dkim[1].headers[2]: invalid value "DKIM-Signature": a signature cannot sign itself',
      'empath.toml: dkim[1].selector: duplicate selector "s1" for domain "example.test": expected each domain and selector pair once',
    ],
  );
});
