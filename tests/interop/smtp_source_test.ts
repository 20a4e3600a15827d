import assert from "node:assert/strict";
import { bodyText, startTestEmpath } from "../support/empath.ts";
import { run, skipWithout } from "../support/peers.ts";

Deno.test({
  name: "Postfix smtp-source: 1,000 messages over 20 connections all land in the queue byte-exact",
  ignore: skipWithout("smtp-source", "postfix"),
  async fn() {
    await using server = await startTestEmpath();
    const file = `${server.dir}/message.txt`;
    const lines = ["Subject: smtp-source interop", "", ".starts with a dot", "..two dots"];
    for (let i = 0; i < 20; i++) lines.push(`line ${i} ${"z".repeat(60)}`);
    await Deno.writeTextFile(file, lines.join("\n") + "\n");
    // smtp-source ends the payload with an empty line before the final dot.
    const expected = lines.join("\r\n") + "\r\n\r\n";
    const result = await run("smtp-source", [
      "-s",
      "20",
      "-m",
      "1000",
      "-F",
      file,
      "-f",
      "src@source.test",
      "-t",
      "sink@localhost",
      `127.0.0.1:${server.port}`,
    ], { timeoutMs: 120_000 });
    assert.equal(result.code, 0, result.stderr);
    const ids: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await server.empath.queue.list(undefined, { cursor, limit: 500 });
      ids.push(...page.messages.map((m) => m.id));
      cursor = page.cursor;
    } while (cursor);
    assert.equal(ids.length, 1000);
    assert.equal(new Set(ids).size, 1000);
    for (const id of ids) {
      const body = await bodyText(server.empath, id);
      assert.ok(body.endsWith(expected), `message ${id} ends with the exact file content`);
    }
  },
});
