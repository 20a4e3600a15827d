import assert from "node:assert/strict";
import { runCli } from "./cli.ts";
import type { CliIo } from "./io.ts";

interface FakeIo extends CliIo {
  readonly out: string[];
  readonly err: string[];
}

function fakeIo(env: Record<string, string> = {}): FakeIo {
  const out: string[] = [];
  const err: string[] = [];
  return {
    out,
    err,
    writeOut: (text) => out.push(text),
    writeErr: (text) => err.push(text),
    readStdin: () => Promise.resolve(""),
    readSecret: () => Promise.resolve(undefined),
    getEnv: (name) => env[name],
  };
}

/** A stand-in control API: `/healthz` answers 200, `/readyz` answers `readyStatus`. */
function startHealthServer(readyStatus = 200): Deno.HttpServer<Deno.NetAddr> {
  return Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, (request) => {
    const path = new URL(request.url).pathname;
    if (path === "/healthz") return Response.json({ status: "ok" });
    if (path === "/readyz") {
      return Response.json({ status: readyStatus === 200 ? "ready" : "unavailable" }, {
        status: readyStatus,
      });
    }
    return new Response("not found", { status: 404 });
  });
}

Deno.test("runCli() healthcheck exits 0 when /healthz answers and needs no token", async () => {
  await using server = startHealthServer();
  const io = fakeIo();
  const url = `http://127.0.0.1:${server.addr.port}`;
  assert.equal(await runCli(["healthcheck", "--url", `${url}/`], io), 0, io.err.join(""));
  assert.equal(io.out.join(""), `${url}/healthz: {"status":"ok"}\n`);
});

Deno.test("runCli() healthcheck --ready exits 1 when /readyz answers 503", async () => {
  await using server = startHealthServer(503);
  const io = fakeIo();
  const url = `http://127.0.0.1:${server.addr.port}`;
  assert.equal(await runCli(["healthcheck", "--ready", "--url", url], io), 1);
  assert.match(io.err.join(""), /\/readyz answered HTTP 503: \{"status":"unavailable"\}/);
});

Deno.test("runCli() healthcheck exits 1 when nothing answers", async () => {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = listener.addr.port;
  listener.close();
  const io = fakeIo();
  assert.equal(await runCli(["healthcheck", "--url", `http://127.0.0.1:${port}`], io), 1);
  assert.match(io.err.join(""), /\/healthz did not answer: /);
});

Deno.test("runCli() healthcheck finds the API in EMPATH_CONTROL_URL, then in [control] listen", async () => {
  await using server = startHealthServer();
  const port = server.addr.port;
  const fromEnv = fakeIo({ EMPATH_CONTROL_URL: `http://127.0.0.1:${port}` });
  assert.equal(await runCli(["healthcheck"], fromEnv), 0, fromEnv.err.join(""));
  const path = await Deno.makeTempFile({ suffix: ".toml" });
  try {
    // A wildcard listen address (as in a container) is reached on loopback.
    await Deno.writeTextFile(path, `[control]\nlisten = "0.0.0.0:${port}"\n`);
    const fromConfig = fakeIo();
    assert.equal(await runCli(["healthcheck", "--config", path], fromConfig), 0);
    assert.equal(fromConfig.out.join(""), `http://127.0.0.1:${port}/healthz: {"status":"ok"}\n`);
    await Deno.writeTextFile(path, `[control]\nlisten = 8025\n`);
    const invalid = fakeIo();
    assert.equal(await runCli(["healthcheck", "--config", path], invalid), 78);
    assert.match(invalid.err.join(""), /control\.listen/);
  } finally {
    await Deno.remove(path);
  }
});

Deno.test("runCli() healthcheck refuses a bad --timeout with exit 2", async () => {
  const io = fakeIo();
  assert.equal(await runCli(["healthcheck", "--timeout", "soon"], io), 2);
  assert.match(io.err.join(""), /expected a duration above 0/);
});
