// No Docker engine runs where these tests run, so the image is never built here: the
// Dockerfile is linted with dockerfile-utils (the linter of the Dockerfile language server)
// and its parts are checked against the rest of the project.
import assert from "node:assert/strict";
import { validate } from "dockerfile-utils";
import { loadConfig } from "../../lib/config/mod.ts";
import { runCli } from "../../cli/mod.ts";
import { allowedBy, compileFlags, flagValues } from "../support/compile_flags.ts";

const ROOT = new URL("../../", import.meta.url).pathname;
const DOCKERFILE = await Deno.readTextFile(`${ROOT}Dockerfile`);
const CONTAINER_CONFIG = "docs/examples/empath.container.toml";

/** Instructions with their arguments, continuation lines joined, comments dropped. */
function instructions(): { keyword: string; args: string }[] {
  const joined = DOCKERFILE.replaceAll(/\\\n\s*/g, " ");
  return joined.split("\n")
    .map((line) => line.trim())
    .filter((line) => line !== "" && !line.startsWith("#"))
    .map((line) => {
      const [keyword, ...rest] = line.split(/\s+/);
      return { keyword: keyword.toUpperCase(), args: rest.join(" ") };
    });
}

function only(keyword: string): string[] {
  return instructions().filter((instruction) => instruction.keyword === keyword).map((i) => i.args);
}

Deno.test("Dockerfile has no problem dockerfile-utils reports", () => {
  const problems = validate(DOCKERFILE).map((diagnostic) =>
    `line ${diagnostic.range.start.line + 1}: ${diagnostic.message}`
  );
  assert.deepEqual(problems, []);
});

Deno.test("Dockerfile builds with the pinned Deno version in two stages and runs as non-root", async () => {
  const ciRun = await Deno.readTextFile(`${ROOT}.ci/run`);
  const tested = /deno@(\d+\.\d+\.\d+)/.exec(ciRun)?.[1];
  assert.ok(tested, ".ci/run names the Deno version");
  assert.ok(only("ARG").includes(`DENO_VERSION=${tested}`), `ARG DENO_VERSION=${tested}`);
  const stages = only("FROM");
  assert.equal(stages.length, 2);
  assert.equal(stages[0], "denoland/deno:${DENO_VERSION} AS build");
  assert.ok(only("RUN").some((run) => run.startsWith("deno task compile")));
  const user = only("USER").at(-1);
  assert.ok(user !== undefined && !/^(0|root)(:|$)/.test(user), `runs as ${user}, not root`);
});

Deno.test("Dockerfile exposes SMTP, submission and control, keeps the queue in a volume, and checks health", () => {
  assert.deepEqual(only("EXPOSE"), ["25 587 8025"]);
  assert.deepEqual(only("VOLUME"), ['["/var/lib/empath"]']);
  const healthcheck = only("HEALTHCHECK");
  assert.equal(healthcheck.length, 1);
  assert.match(healthcheck[0], /CMD \["\/usr\/local\/bin\/empath", "healthcheck"/);
  assert.deepEqual(only("ENTRYPOINT"), ['["/usr/local/bin/empath"]']);
});

Deno.test("Dockerfile's health check command line is valid against the container configuration", async () => {
  const command = /CMD (\[.*\])$/.exec(only("HEALTHCHECK")[0])?.[1];
  assert.ok(command);
  const args = (JSON.parse(command) as string[]).slice(1)
    .map((arg) => arg === "/etc/empath/empath.toml" ? `${ROOT}${CONTAINER_CONFIG}` : arg);
  const err: string[] = [];
  const io = {
    writeOut: () => {},
    writeErr: (text: string) => void err.push(text),
    readStdin: () => Promise.resolve(""),
    readSecret: () => Promise.resolve(undefined),
  };
  // 0 if something answers on 127.0.0.1:8025 here, 1 if not; never a usage or config error.
  const code = await runCli(args, io);
  assert.ok(code === 0 || code === 1, `exit ${code}: ${err.join("")}`);
});

Deno.test("every file the Dockerfile copies from the context exists and is not in .dockerignore", async () => {
  const ignored = (await Deno.readTextFile(`${ROOT}.dockerignore`)).split("\n")
    .map((line) => line.trim().replace(/\/$/, ""))
    .filter((line) => line !== "" && !line.startsWith("#"));
  const sources = only("COPY")
    .filter((args) => !args.includes("--from="))
    .flatMap((args) => args.split(/\s+/).filter((word) => !word.startsWith("--")).slice(0, -1));
  assert.ok(sources.includes(CONTAINER_CONFIG));
  for (const source of sources) {
    await Deno.stat(`${ROOT}${source}`);
    const path = source.replace(/\/$/, "");
    assert.ok(!ignored.some((entry) => path === entry || path.startsWith(`${entry}/`)), source);
  }
});

Deno.test("the container configuration listens on 0.0.0.0 and keeps its files where the compiled binary may write", async () => {
  const config = await loadConfig(`${ROOT}${CONTAINER_CONFIG}`);
  assert.deepEqual(config.listen.map((listen) => listen.address), ["0.0.0.0:25", "0.0.0.0:587"]);
  assert.equal(config.control.listen, "0.0.0.0:8025");
  assert.deepEqual(config.control.tokens, [], "the daemon writes its own admin token");
  const flags = await compileFlags();
  const writable = flagValues(flags, "--allow-write");
  const written = [
    config.queue.path,
    config.control.tokenFile,
    config.observe.audit.path,
    ...config.routes.flatMap((route) => route.kind === "maildir" ? [route.path] : []),
  ];
  for (const path of written) assert.ok(allowedBy(path, writable), `${path} is writable`);
  assert.ok(allowedBy("/etc/empath/empath.toml", flagValues(flags, "--allow-read")));
});
