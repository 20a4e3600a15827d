import assert from "node:assert/strict";
import { getLogger, resetLogging, setLogLevel, setupLogging } from "./logging.ts";

async function captureLogs(
  options: { level: "trace" | "debug" | "info" | "warning"; format: "json" | "text" },
  run: (lines: string[]) => Promise<void> | void,
): Promise<void> {
  const lines: string[] = [];
  await setupLogging({ ...options, write: (line) => lines.push(line) });
  try {
    await run(lines);
  } finally {
    await resetLogging();
  }
}

Deno.test("setupLogging() writes JSON Lines with timestamp, level, category, message and properties", async () => {
  await captureLogs({ level: "info", format: "json" }, (lines) => {
    getLogger("smtp").info("Accepted {ip} on {port}", { ip: "192.0.2.1", port: 25, size: 10n });
    assert.equal(lines.length, 1);
    assert.ok(lines[0].endsWith("\n"));
    const record = JSON.parse(lines[0]);
    assert.deepEqual(Object.keys(record), [
      "timestamp",
      "level",
      "category",
      "message",
      "properties",
    ]);
    assert.ok(!Number.isNaN(Date.parse(record.timestamp)));
    assert.equal(record.level, "info");
    assert.equal(record.category, "empath.smtp");
    assert.equal(record.message, "Accepted 192.0.2.1 on 25");
    assert.deepEqual(record.properties, { ip: "192.0.2.1", port: 25, size: "10" });
  });
});

Deno.test("setupLogging() serializes errors in properties", async () => {
  await captureLogs({ level: "info", format: "json" }, (lines) => {
    getLogger("queue").error("Spool failed: {error}", { error: new RangeError("disk full") });
    const record = JSON.parse(lines[0]);
    assert.equal(record.properties.error.name, "RangeError");
    assert.equal(record.properties.error.message, "disk full");
  });
});

Deno.test("setupLogging() writes readable text lines with properties", async () => {
  await captureLogs({ level: "debug", format: "text" }, (lines) => {
    getLogger("server").debug("Listening", { address: "127.0.0.1:2525", name: "smtp" });
    assert.equal(lines.length, 1);
    assert.match(
      lines[0],
      /^\S+ \S+ \S+ \[DBG\] empath\.server: Listening address=127\.0\.0\.1:2525 name=smtp\n$/,
    );
  });
});

Deno.test("setupLogging() drops records below the level without evaluating lazy properties", async () => {
  await captureLogs({ level: "info", format: "json" }, (lines) => {
    let evaluated = 0;
    const logger = getLogger("smtp");
    logger.debug("Expensive {value}", () => {
      evaluated++;
      return { value: 1 };
    });
    logger.trace("Not written");
    assert.equal(logger.isEnabledFor("debug"), false);
    assert.equal(evaluated, 0);
    assert.deepEqual(lines, []);
    logger.warn("Written");
    assert.equal(lines.length, 1);
  });
});

Deno.test("setupLogging() ignores categories outside empath", async () => {
  const { getLogger: getOtherLogger } = await import("@logtape/logtape");
  await captureLogs({ level: "trace", format: "json" }, (lines) => {
    getOtherLogger(["other"]).error("Not ours");
    assert.deepEqual(lines, []);
  });
});

Deno.test("setLogLevel() raises and lowers one category at run time", async () => {
  await captureLogs({ level: "info", format: "json" }, async (lines) => {
    await setLogLevel(["empath", "smtp"], "debug");
    getLogger("smtp").debug("Shown");
    getLogger(["smtp", "session"]).debug("Shown too");
    getLogger("queue").debug("Hidden");
    assert.deepEqual(lines.map((line) => JSON.parse(line).message), ["Shown", "Shown too"]);
    lines.length = 0;
    await setLogLevel(["empath", "queue"], null);
    getLogger("queue").error("Silenced");
    getLogger("server").info("Still shown");
    await setLogLevel("empath", "error");
    getLogger("server").warn("Now hidden");
    assert.deepEqual(lines.map((line) => JSON.parse(line).message), ["Still shown"]);
  });
});

Deno.test("setLogLevel() requires setupLogging() first", async () => {
  await assert.rejects(setLogLevel(["empath"], "debug"), TypeError);
});

Deno.test("resetLogging() stops output", async () => {
  const lines: string[] = [];
  await setupLogging({ level: "info", format: "json", write: (line) => lines.push(line) });
  await resetLogging();
  getLogger("smtp").error("Dropped");
  assert.deepEqual(lines, []);
});

Deno.test("getLogger() places every logger under the empath category", () => {
  assert.deepEqual(getLogger("smtp").category, ["empath", "smtp"]);
  assert.deepEqual(getLogger(["smtp", "session"]).category, ["empath", "smtp", "session"]);
  assert.deepEqual(getLogger(["empath", "app"]).category, ["empath", "app"]);
});
