import assert from "node:assert/strict";
import { run, skipWithout } from "../support/peers.ts";

const UNIT = new URL("../../docs/examples/empath.service", import.meta.url);
const BINARY = "/usr/local/bin/empath";

/**
 * The unit with its `/usr/local/bin/empath` commands pointed at a stand-in
 * executable, because `systemd-analyze verify` refuses a unit whose binaries do
 * not exist and no compiled Empath is installed here.
 */
async function unitWithStandIn(dir: string): Promise<string> {
  const standIn = `${dir}/empath`;
  await Deno.writeTextFile(standIn, "#!/bin/sh\nexit 0\n", { mode: 0o755 });
  const text = await Deno.readTextFile(UNIT);
  assert.ok(text.includes(`ExecStart=${BINARY} serve`), `ExecStart runs ${BINARY} serve`);
  const path = `${dir}/empath.service`;
  await Deno.writeTextFile(path, text.replaceAll(BINARY, standIn));
  return path;
}

Deno.test({
  name: "docs/examples/empath.service passes systemd-analyze verify without a warning",
  ignore: skipWithout("systemd-analyze", "systemd"),
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "empath-unit-" });
    try {
      const unit = await unitWithStandIn(dir);
      const result = await run("systemd-analyze", ["verify", unit]);
      assert.equal(result.code, 0, result.stderr);
      // Unknown keys and bad values are warnings with exit code 0: any output is a failure.
      assert.equal(`${result.stdout}${result.stderr}`.trim(), "");
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test({
  name: "docs/examples/empath.service keeps systemd's exposure score at 2.5 or below",
  ignore: skipWithout("systemd-analyze", "systemd"),
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "empath-unit-" });
    try {
      const unit = await unitWithStandIn(dir);
      // --threshold is the exposure times ten; the command fails above it.
      const result = await run("systemd-analyze", [
        "security",
        "--offline=true",
        "--threshold=25",
        "--no-pager",
        unit,
      ]);
      assert.equal(result.code, 0, `${result.stdout}\n${result.stderr}`);
      assert.match(result.stdout, /Overall exposure level for empath\.service: [0-2]\.\d/);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test("docs/examples/empath.service carries the hardening the operations guide promises", async () => {
  const text = await Deno.readTextFile(UNIT);
  const lines = new Set(text.split("\n").map((line) => line.trim()));
  for (
    const line of [
      "User=empath",
      "ProtectSystem=strict",
      "ReadWritePaths=/var/lib/empath",
      "NoNewPrivileges=yes",
      "PrivateTmp=yes",
      "ProtectHome=yes",
      "AmbientCapabilities=CAP_NET_BIND_SERVICE",
      "CapabilityBoundingSet=CAP_NET_BIND_SERVICE",
      "Restart=on-failure",
      "RestartPreventExitStatus=78",
      "ExecReload=/bin/kill -HUP $MAINPID",
    ]
  ) {
    assert.ok(lines.has(line), `the unit has ${line}`);
  }
  assert.ok(!lines.has("MemoryDenyWriteExecute=yes"), "V8's JIT needs writable executable memory");
});
