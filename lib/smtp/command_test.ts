import assert from "node:assert/strict";
import fc from "fast-check";
import { mailboxPath, type Path } from "./address.ts";
import { type Command, formatCommand, parseCommand, type ParseCommandOptions } from "./command.ts";
import type { MailParams } from "./params.ts";
import { SmtpSyntaxError } from "./reply.ts";

function failure(line: string, options?: ParseCommandOptions): SmtpSyntaxError {
  try {
    parseCommand(line, options);
  } catch (error) {
    assert.ok(error instanceof SmtpSyntaxError, String(error));
    return error;
  }
  throw new Error(`parseCommand accepted "${line}"`);
}

function code(line: string, options?: ParseCommandOptions): string {
  const { reply } = failure(line, options);
  return `${reply.code} ${reply.enhanced}`;
}

const A_AT_B = mailboxPath("a", "b.example");

Deno.test("parseCommand() parses every verb, case-insensitively", () => {
  assert.deepEqual(parseCommand("ehlo client.example"), { verb: "EHLO", domain: "client.example" });
  assert.deepEqual(parseCommand("HeLo [192.0.2.1]"), { verb: "HELO", domain: "[192.0.2.1]" });
  assert.deepEqual(parseCommand("mail from:<a@B.example>"), {
    verb: "MAIL",
    reversePath: A_AT_B,
    params: { smtputf8: false },
  });
  assert.deepEqual(parseCommand("rcpt to:<a@b.example>"), {
    verb: "RCPT",
    forwardPath: A_AT_B,
    params: {},
  });
  for (const verb of ["DATA", "RSET", "NOOP", "QUIT", "STARTTLS"]) {
    assert.deepEqual(parseCommand(verb.toLowerCase()), { verb });
  }
  assert.deepEqual(parseCommand("NOOP ignored text"), { verb: "NOOP" });
  assert.deepEqual(parseCommand("BDAT 100"), { verb: "BDAT", size: 100, last: false });
  assert.deepEqual(parseCommand("bdat 0 last"), { verb: "BDAT", size: 0, last: true });
  assert.deepEqual(parseCommand("VRFY postmaster"), { verb: "VRFY", arg: "postmaster" });
  assert.deepEqual(parseCommand("EXPN list"), { verb: "EXPN", arg: "list" });
  assert.deepEqual(parseCommand("HELP"), { verb: "HELP" });
  assert.deepEqual(parseCommand("HELP mail"), { verb: "HELP", arg: "mail" });
  assert.deepEqual(parseCommand("auth plain"), { verb: "AUTH", mechanism: "PLAIN" });
  assert.deepEqual(parseCommand("AUTH LOGIN dXNlcg=="), {
    verb: "AUTH",
    mechanism: "LOGIN",
    initialResponse: "dXNlcg==",
  });
});

Deno.test("parseCommand() accepts trailing spaces and a space after FROM:", () => {
  assert.deepEqual(parseCommand("MAIL FROM: <a@b.example>  "), {
    verb: "MAIL",
    reversePath: A_AT_B,
    params: { smtputf8: false },
  });
  assert.deepEqual(parseCommand("DATA   "), { verb: "DATA" });
  assert.deepEqual(parseCommand("RCPT TO:<@x.example:a@b.example>"), {
    verb: "RCPT",
    forwardPath: A_AT_B,
    params: {},
  });
});

Deno.test("parseCommand() rejects unknown verbs with 500 5.5.2", () => {
  assert.equal(code("FOO"), "500 5.5.2");
  assert.equal(code(""), "500 5.5.2");
  assert.equal(code("MAILFROM:<a@b>"), "500 5.5.2");
  assert.equal(code("NOOP\0"), "500 5.5.2");
  assert.equal(code("NOOP\tx"), "500 5.5.2");
});

Deno.test("parseCommand() rejects MAIL without FROM with 501 and a precise message", () => {
  const error = failure("MAIL FRM:<x>");
  assert.equal(error.message, 'Cannot parse MAIL command "MAIL FRM:<x>": expected "FROM:"');
  assert.deepEqual(error.reply, {
    code: 501,
    enhanced: "5.5.4",
    lines: ["Syntax: MAIL FROM:<address>"],
  });
  assert.equal(code("MAIL"), "501 5.5.4");
  assert.equal(code("MAIL FROM:a@b.example"), "501 5.5.4");
  assert.equal(code("MAIL FROM:<a@b.example"), "501 5.5.4");
  assert.equal(code("MAIL FROM:<a@b.example>SIZE=1"), "501 5.5.4");
  assert.equal(code("RCPT FROM:<a@b.example>"), "501 5.5.4");
});

Deno.test("parseCommand() rejects bad arguments with 501", () => {
  for (
    const line of ["EHLO", "HELO   ", "DATA x", "RSET x", "QUIT now", "STARTTLS x", "VRFY", "EXPN"]
  ) {
    assert.equal(code(line), "501 5.5.4", line);
  }
  for (const line of ["BDAT", "BDAT x", "BDAT -1", "BDAT 1 FIRST", "BDAT 1234567890123456"]) {
    assert.equal(code(line), "501 5.5.4", line);
  }
  for (const line of ["AUTH", "AUTH PL@IN", "AUTH PLAIN a b", `AUTH ${"X".repeat(21)}`]) {
    assert.equal(code(line), "501 5.5.4", line);
  }
  assert.equal(code("MAIL FROM:<a b@c.example>"), "501 5.1.7");
  assert.equal(code("RCPT TO:<a b@c.example>"), "501 5.1.3");
  assert.equal(code("RCPT TO:<>"), "501 5.1.3");
});

Deno.test("parseCommand() validates MAIL parameters", () => {
  const params = (text: string) => {
    const command = parseCommand(`MAIL FROM:<> ${text}`);
    assert.equal(command.verb, "MAIL");
    return command.verb === "MAIL" ? command.params : undefined;
  };
  assert.deepEqual(params("SIZE=0 body=7bit smtputf8 AUTH=<>"), {
    smtputf8: true,
    size: 0,
    body: "7BIT",
    auth: "<>",
  });
  assert.deepEqual(params("AUTH=joe+2Bsmith@example.org"), {
    smtputf8: false,
    auth: "joe+2Bsmith@example.org",
  });
  for (
    const bad of [
      "SIZE=x",
      "SIZE",
      "BODY=BINARYMIME",
      "BODY=9BIT",
      "SMTPUTF8=yes",
      "AUTH=a+zz",
      "AUTH",
      "FOO=bar",
    ]
  ) {
    assert.equal(code(`MAIL FROM:<> ${bad}`), "555 5.5.4", bad);
  }
  assert.equal(code("MAIL FROM:<> SIZE=1 size=2"), "501 5.5.4");
  assert.equal(code("MAIL FROM:<> =x"), "501 5.5.4");
  assert.equal(code("MAIL FROM:<> SIZE="), "501 5.5.4");
  assert.equal(code("MAIL FROM:<> SIZE=a=b"), "501 5.5.4");
});

Deno.test("parseCommand() refuses RCPT parameters other than NOTIFY and ORCPT with 555", () => {
  assert.equal(code("RCPT TO:<a@b.example> FOO=bar"), "555 5.5.4");
  const rcpt = parseCommand("RCPT TO:<a@b.example> NOTIFY=NEVER");
  assert.deepEqual(rcpt.verb === "RCPT" && rcpt.params, { notify: ["NEVER"] });
});

Deno.test("parseCommand() allows UTF-8 paths only with SMTPUTF8", () => {
  assert.equal(code("MAIL FROM:<jörg@example.test>"), "553 5.6.7");
  const mail = parseCommand("MAIL FROM:<jörg@example.test> SMTPUTF8");
  assert.equal(mail.verb === "MAIL" && mail.reversePath.kind, "mailbox");
  assert.equal(code("RCPT TO:<jörg@example.test>"), "553 5.6.7");
  assert.equal(parseCommand("RCPT TO:<jörg@example.test>", { utf8: true }).verb, "RCPT");
});

Deno.test("formatCommand() writes canonical lines", () => {
  const mail: Command = {
    verb: "MAIL",
    reversePath: mailboxPath("a b", "x.example"),
    params: { smtputf8: true, size: 5, body: "8BITMIME", auth: "<>" },
  };
  assert.equal(
    formatCommand(mail),
    'MAIL FROM:<"a b"@x.example> SIZE=5 BODY=8BITMIME SMTPUTF8 AUTH=<>',
  );
  assert.equal(formatCommand({ verb: "HELP" }), "HELP");
  assert.equal(
    formatCommand({ verb: "AUTH", mechanism: "PLAIN", initialResponse: "=" }),
    "AUTH PLAIN =",
  );
});

// --- property: parseCommand(formatCommand(c)) deep-equals c ---------------------------------

const ATEXT = "abcXYZ0189!#$%&'*+-/=?^_`{|}~".split("");
const atom = fc.array(fc.constantFrom(...ATEXT), { minLength: 1, maxLength: 8 }).map((chars) =>
  chars.join("")
);
const dotString = fc.array(atom, { minLength: 1, maxLength: 3 }).map((atoms) => atoms.join("."));
const quotedContent = fc.string({
  unit: fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)),
  maxLength: 20,
});
const utf8Atom = fc.constantFrom("jörg", "名前", "ünï", "δοκιμή");
const label = fc.stringMatching(/^[a-z0-9](?:[a-z0-9-]{0,8}[a-z0-9])?$/);
const domainName = fc.array(label, { minLength: 1, maxLength: 4 }).map((labels) =>
  labels.join(".")
);
const ipv4 = fc.ipV4().map((ip) => `[${ip}]`);
const ipv6 = fc.ipV6().map((ip) => `[IPv6:${ip}]`);
const domain = fc.oneof(domainName, domainName, ipv4, ipv6);

function mailbox(utf8: boolean): fc.Arbitrary<Path> {
  const local = utf8
    ? fc.oneof(dotString, quotedContent, utf8Atom)
    : fc.oneof(dotString, quotedContent);
  return fc.tuple(local, domain).map(([localPart, at]) => mailboxPath(localPart, at)).filter((
    path,
  ) =>
    new TextEncoder().encode(path.kind === "mailbox" ? `<${path.address}>` : "").length <= 256 &&
    new TextEncoder().encode(
        path.kind === "mailbox" ? path.address.slice(0, path.address.lastIndexOf("@")) : "",
      ).length <= 64
  );
}

const xtext = fc.stringMatching(/^(?:[!-*,-<>-~]|\+[0-9A-F]{2}){1,10}$/);
const mailParams: fc.Arbitrary<MailParams> = fc.record({
  size: fc.option(fc.nat(), { nil: undefined }),
  body: fc.option(fc.constantFrom("7BIT" as const, "8BITMIME" as const), { nil: undefined }),
  smtputf8: fc.boolean(),
  auth: fc.option(xtext, { nil: undefined }),
}).map(({ size, body, smtputf8, auth }) => ({
  smtputf8,
  ...(size === undefined ? {} : { size }),
  ...(body === undefined ? {} : { body }),
  ...(auth === undefined ? {} : { auth }),
}));
const text = fc.stringMatching(/^[!-~](?:[ -~]{0,20}[!-~])?$/);

const command: fc.Arbitrary<Command> = fc.oneof(
  fc.record({ verb: fc.constantFrom("EHLO" as const, "HELO" as const), domain: text }).map((r) => ({
    ...r,
  })),
  mailParams.chain((params) =>
    fc.oneof(fc.constant<Path>({ kind: "null" }), mailbox(params.smtputf8)).map((reversePath) => ({
      verb: "MAIL" as const,
      reversePath,
      params,
    }))
  ),
  mailbox(false).map((forwardPath) => ({ verb: "RCPT" as const, forwardPath, params: {} })),
  fc.record({
    verb: fc.constant("BDAT" as const),
    size: fc.nat({ max: 1e12 }),
    last: fc.boolean(),
  }).map((r) => ({ ...r })),
  fc.record({ verb: fc.constantFrom("VRFY" as const, "EXPN" as const), arg: text }).map((r) => ({
    ...r,
  })),
  fc.option(text, { nil: undefined }).map((
    arg,
  ) => (arg === undefined ? { verb: "HELP" as const } : { verb: "HELP" as const, arg })),
  fc.tuple(
    fc.stringMatching(/^[A-Z0-9_-]{1,20}$/),
    fc.option(fc.stringMatching(/^[!-~]{1,30}$/), { nil: undefined }),
  )
    .map(([mechanism, initialResponse]) =>
      initialResponse === undefined
        ? { verb: "AUTH" as const, mechanism }
        : { verb: "AUTH" as const, mechanism, initialResponse }
    ),
  fc.constantFrom<Command>({ verb: "DATA" }, { verb: "RSET" }, { verb: "NOOP" }, { verb: "QUIT" }, {
    verb: "STARTTLS",
  }),
);

Deno.test("parseCommand(formatCommand(command)) round-trips arbitrary valid commands", () => {
  fc.assert(
    fc.property(command, (original) => {
      const line = formatCommand(original);
      assert.deepEqual(parseCommand(line, { utf8: false }), original, line);
    }),
    { numRuns: 500 },
  );
});

Deno.test("parseCommand() only ever throws SmtpSyntaxError on arbitrary lines", () => {
  const prefixes = fc.constantFrom(
    "",
    "MAIL FROM:",
    "RCPT TO:",
    "MAIL FROM:<",
    "BDAT ",
    "AUTH ",
    "EHLO ",
  );
  fc.assert(
    fc.property(prefixes, fc.string({ maxLength: 80 }), fc.boolean(), (prefix, rest, utf8) => {
      try {
        parseCommand(prefix + rest, { utf8 });
      } catch (error) {
        assert.ok(error instanceof SmtpSyntaxError, String(error));
      }
    }),
    { numRuns: 500 },
  );
});
