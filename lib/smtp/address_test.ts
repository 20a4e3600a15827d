import assert from "node:assert/strict";
import { formatPath, isUtf8Path, mailboxPath, parsePath, type Path } from "./address.ts";
import { SmtpSyntaxError } from "./reply.ts";

const ASCII = { utf8: false };
const UTF8 = { utf8: true };

function rejectCode(text: string, options: Parameters<typeof parsePath>[1]): string {
  try {
    parsePath(text, options);
  } catch (error) {
    assert.ok(error instanceof SmtpSyntaxError);
    return `${error.reply.code} ${error.reply.enhanced}`;
  }
  throw new Error(`parsePath accepted "${text}"`);
}

Deno.test("parsePath() parses a mailbox and lowercases the domain only", () => {
  assert.deepEqual(parsePath("<John.Doe@Example.TEST>", ASCII), {
    kind: "mailbox",
    localPart: "John.Doe",
    domain: "example.test",
    address: "John.Doe@example.test",
  });
});

Deno.test("parsePath() accepts the null path only when allowed", () => {
  assert.deepEqual(parsePath("<>", { utf8: false, allowNull: true }), { kind: "null" });
  assert.equal(rejectCode("<>", ASCII), "501 5.1.3");
});

Deno.test("parsePath() unquotes quoted local parts and quotes them back only when needed", () => {
  const spaced = parsePath(String.raw`<"john \"j\" doe"@example.test>`, ASCII);
  assert.equal(spaced.kind === "mailbox" && spaced.localPart, 'john "j" doe');
  assert.equal(formatPath(spaced), String.raw`<"john \"j\" doe"@example.test>`);
  const needless = parsePath('<"plain"@example.test>', ASCII);
  assert.equal(needless.kind === "mailbox" && needless.address, "plain@example.test");
  const odd = parsePath('<"a>b@c"@example.test>', ASCII);
  assert.equal(odd.kind === "mailbox" && odd.localPart, "a>b@c");
  const empty = parsePath('<""@example.test>', ASCII);
  assert.equal(empty.kind === "mailbox" && empty.address, '""@example.test');
});

Deno.test("parsePath() accepts IPv4 and IPv6 address literals", () => {
  const v4 = parsePath("<a@[192.0.2.1]>", ASCII);
  assert.equal(v4.kind === "mailbox" && v4.domain, "[192.0.2.1]");
  const v6 = parsePath("<a@[ipv6:2001:DB8::1]>", ASCII);
  assert.equal(v6.kind === "mailbox" && v6.domain, "[IPv6:2001:db8::1]");
  assert.equal(parsePath("<a@[IPv6:::ffff:192.0.2.1]>", ASCII).kind, "mailbox");
  assert.equal(parsePath("<a@[IPv6:1:2:3:4:5:6:7:8]>", ASCII).kind, "mailbox");
  for (
    const bad of [
      "[256.0.0.1]",
      "[1.2.3]",
      "[IPv6:1::2::3]",
      "[IPv6:1:2:3:4:5:6:7:8:9]",
      "[IPv6:1.2.3.4::]",
      "[x:y]",
    ]
  ) {
    assert.equal(rejectCode(`<a@${bad}>`, ASCII), "501 5.1.3", bad);
  }
});

Deno.test("parsePath() accepts and drops source routes", () => {
  const path = parsePath("<@relay.one,@relay.two:user@example.test>", ASCII);
  assert.equal(path.kind === "mailbox" && path.address, "user@example.test");
  assert.equal(rejectCode("<@relay.one,relay.two:user@example.test>", ASCII), "501 5.1.3");
  assert.equal(rejectCode("<@relay.one user@example.test>", ASCII), "501 5.1.3");
});

Deno.test("parsePath() refuses bad syntax with 5.1.7 for senders and 5.1.3 for recipients", () => {
  for (
    const bad of [
      "a@b",
      "<a@b",
      "<a>",
      "<a..b@c>",
      "<.a@c>",
      "<a.@c>",
      "<a@-b>",
      "<a@b->",
      "<a@b..c>",
      "<a b@c>",
      '<"a@c>',
      "<a@>",
      "<@c>",
    ]
  ) {
    assert.equal(rejectCode(bad, { utf8: false, allowNull: true }), "501 5.1.7", bad);
    assert.equal(rejectCode(bad, ASCII), "501 5.1.3", bad);
  }
});

Deno.test("parsePath() accepts UTF-8 only with SMTPUTF8, otherwise 553 5.6.7", () => {
  assert.equal(rejectCode("<jörg@example.test>", ASCII), "553 5.6.7");
  assert.equal(rejectCode("<a@bücher.example>", ASCII), "553 5.6.7");
  const path = parsePath("<jörg@Bücher.example>", UTF8);
  assert.equal(path.kind === "mailbox" && path.address, "jörg@bücher.example");
  assert.ok(isUtf8Path(path));
  assert.equal(parsePath('<"ü x"@example.test>', UTF8).kind, "mailbox");
});

Deno.test("parsePath() enforces 64/255/256 octet limits at their exact boundaries", () => {
  const local64 = "a".repeat(64);
  assert.equal(parsePath(`<${local64}@example.test>`, ASCII).kind, "mailbox");
  assert.match(pathError(`<${local64}a@example.test>`), /local part longer than 64/);
  // 2-octet characters count as two octets.
  assert.equal(parsePath(`<${"ü".repeat(32)}@example.test>`, UTF8).kind, "mailbox");
  assert.match(pathError(`<${"ü".repeat(32)}a@example.test>`, UTF8), /local part longer/);
  const label = "b".repeat(63);
  const domain255 = `${label}.${label}.${label}.${"c".repeat(63)}`;
  assert.equal(domain255.length, 255);
  assert.match(pathError(`<a@${domain255}>`), /longer than 256 octets/);
  const domain252 = `${label}.${label}.${label}.${"c".repeat(60)}`;
  assert.equal(`<a@${domain252}>`.length, 256);
  assert.equal(parsePath(`<a@${domain252}>`, ASCII).kind, "mailbox");
  assert.match(pathError(`<ab@${domain252}>`), /longer than 256 octets/);
  // A source route counts towards the path length.
  assert.match(pathError(`<@x:a@${domain252}>`), /longer than 256 octets/);
  assert.match(pathError(`<a@${"b".repeat(64)}.test>`), /bad domain/);
});

Deno.test("parsePath() checks the domain limit before the path limit", () => {
  const label = "b".repeat(63);
  const domain256 = `${label}.${label}.${label}.${"c".repeat(64)}`;
  assert.equal(domain256.length, 256);
  assert.match(pathError(`<a@${domain256}>`), /domain longer than 255 octets/);
});

function pathError(text: string, options = ASCII): string {
  try {
    parsePath(text, options);
  } catch (error) {
    assert.ok(error instanceof SmtpSyntaxError);
    return error.message;
  }
  throw new Error(`parsePath accepted "${text}"`);
}

Deno.test("parsePath() accepts <Postmaster> without a domain only for RCPT", () => {
  const expected: Path = {
    kind: "mailbox",
    localPart: "Postmaster",
    domain: "",
    address: "Postmaster",
  };
  assert.deepEqual(parsePath("<postMASTER>", { utf8: false, allowPostmaster: true }), expected);
  assert.equal(formatPath(expected), "<Postmaster>");
  assert.equal(rejectCode("<Postmaster>", ASCII), "501 5.1.3");
});

Deno.test("mailboxPath() and formatPath() build canonical paths", () => {
  assert.equal(formatPath(mailboxPath("a.b", "EXAMPLE.test")), "<a.b@example.test>");
  assert.equal(formatPath(mailboxPath("a..b", "x.test")), '<"a..b"@x.test>');
  assert.equal(formatPath(mailboxPath('q"\\', "x.test")), '<"q\\"\\\\"@x.test>');
  assert.equal(formatPath({ kind: "null" }), "<>");
  assert.equal(isUtf8Path({ kind: "null" }), false);
});
