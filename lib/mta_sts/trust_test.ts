import assert from "node:assert/strict";
import { ConfigError } from "../config/mod.ts";
import { testCertificates } from "../../tests/support/certs.ts";
import { loadCaFile } from "./trust.ts";

Deno.test("loadCaFile() returns each PEM certificate of the file", async () => {
  const certs = await testCertificates();
  const dir = await Deno.makeTempDir();
  try {
    const bundle = `${dir}/bundle.pem`;
    await Deno.writeTextFile(bundle, `# comment\n${certs.caPem}\n${certs.caPem}`);
    const loaded = await loadCaFile(bundle);
    assert.equal(loaded.length, 2);
    assert.equal(loaded[0], certs.caPem.trim());
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("loadCaFile() reports a missing, empty or broken file as a ConfigError on ca_file", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await Deno.writeTextFile(`${dir}/empty.pem`, "nothing here\n");
    await Deno.writeTextFile(
      `${dir}/broken.pem`,
      "-----BEGIN CERTIFICATE-----\nbm90IGEgY2VydA==\n-----END CERTIFICATE-----\n",
    );
    const cases: [string, RegExp][] = [
      [`${dir}/missing.pem`, /cannot read CA file/],
      [`${dir}/empty.pem`, /holds no PEM certificate/],
      [`${dir}/broken.pem`, /certificate 1 of CA file .* does not parse/],
    ];
    for (const [path, message] of cases) {
      const error = await loadCaFile(path, "empath.toml").catch((error) => error);
      assert.ok(error instanceof ConfigError, String(error));
      assert.equal(error.issues[0].path, "delivery.mta_sts.ca_file");
      assert.match(error.issues[0].message, message);
      assert.match(error.message, /^empath\.toml: delivery\.mta_sts\.ca_file: /);
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
