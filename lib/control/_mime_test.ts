import assert from "node:assert/strict";
import {
  composeMessage,
  encodeBody,
  encodedWords,
  formatHeader,
  HeaderSyntaxError,
  quotedPrintableLine,
} from "./_mime.ts";

Deno.test("quotedPrintableLine() escapes '=', 8-bit octets and trailing white space", () => {
  assert.equal(quotedPrintableLine("a=b café "), "a=3Db caf=C3=A9=20");
  assert.equal(quotedPrintableLine("tab\t"), "tab=09");
  assert.equal(quotedPrintableLine(""), "");
});

Deno.test("quotedPrintableLine() keeps encoded lines within 76 characters", () => {
  for (const line of ["x".repeat(200), "é".repeat(100), `${"x".repeat(74)}é`, "a ".repeat(80)]) {
    const encoded = quotedPrintableLine(line).split("\r\n");
    assert.ok(encoded.every((piece) => piece.length <= 76), line);
    assert.ok(encoded.slice(0, -1).every((piece) => piece.endsWith("=")));
    assert.ok(!/=[0-9A-F]?$/.test(encoded.slice(0, -1).map((p) => p.slice(0, -1)).join("")));
  }
  assert.equal(quotedPrintableLine("x".repeat(76)), "x".repeat(76));
  assert.equal(quotedPrintableLine("x".repeat(77)), `${"x".repeat(75)}=\r\nxx`);
});

Deno.test("encodedWords() splits UTF-8 text on character boundaries into 75-character words", () => {
  const words = encodedWords("日本語".repeat(20));
  assert.ok(words.length > 1);
  const bytes = words.map((word) => {
    assert.ok(word.length <= 75);
    const match = /^=\?UTF-8\?B\?([A-Za-z0-9+/=]+)\?=$/.exec(word);
    assert.ok(match !== null);
    return Uint8Array.from(atob(match[1]), (c) => c.charCodeAt(0));
  });
  for (const chunk of bytes) new TextDecoder("utf-8", { fatal: true }).decode(chunk);
  assert.deepEqual(encodedWords(""), ["=?UTF-8?B??="]);
});

Deno.test("formatHeader() folds long ASCII values and encodes non-ASCII ones", () => {
  assert.equal(formatHeader("Subject", "hello"), "Subject: hello\r\n");
  const long = formatHeader("Subject", "word ".repeat(40).trim());
  assert.ok(long.split("\r\n").slice(1, -1).every((line) => line.startsWith(" ")));
  assert.ok(long.split("\r\n").every((line) => line.length <= 78));
  assert.match(formatHeader("Subject", "Grüße"), /^Subject: =\?UTF-8\?B\?R3LDvMOfZQ==\?=\r\n$/);
  const unbroken = formatHeader("X-Token", "x".repeat(1200));
  assert.ok(unbroken.split("\r\n").every((line) => line.length <= 998));
  assert.equal(
    formatHeader("To", '"Jörg, M." <j@example.org>, b@example.net'),
    "To: =?UTF-8?B?SsO2cmcsIE0u?= <j@example.org>, b@example.net\r\n",
  );
  assert.throws(() => formatHeader("To", "x".repeat(1200)), HeaderSyntaxError);
});

Deno.test("encodeBody() picks 7bit, quoted-printable or base64", () => {
  assert.deepEqual(encodeBody("a\nb", "=_b"), { encoding: "7bit", body: "a\r\nb" });
  assert.equal(encodeBody("x".repeat(999), "=_b").encoding, "quoted-printable");
  assert.equal(encodeBody("mostly ascii, one é", "=_b").encoding, "quoted-printable");
  assert.equal(encodeBody("--=_b inside", "=_b").encoding, "quoted-printable");
  const base64 = encodeBody("Привет мир ".repeat(20), "=_b");
  assert.equal(base64.encoding, "base64");
  assert.ok(base64.body.split("\r\n").every((line) => line.length <= 76));
});

Deno.test("composeMessage() builds a multipart/alternative message with CRLF lines", () => {
  const message = composeMessage({
    from: "a@example.org",
    to: ["b@example.net"],
    subject: "Hi",
    text: "hello",
    html: "<p>hello</p>",
    headers: { date: "Mon, 01 Jan 2024 00:00:00 +0000", "X-A": "1" },
    date: "Tue, 02 Jan 2024 03:04:05 +0000",
    messageId: "<id@example.org>",
    boundary: "=_ID",
  });
  assert.equal(
    message,
    "date: Mon, 01 Jan 2024 00:00:00 +0000\r\nFrom: a@example.org\r\nTo: b@example.net\r\n" +
      "Subject: Hi\r\nMessage-ID: <id@example.org>\r\nX-A: 1\r\nMIME-Version: 1.0\r\n" +
      'Content-Type: multipart/alternative; boundary="=_ID"\r\n\r\n' +
      "This is a multi-part message in MIME format.\r\n" +
      "--=_ID\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 7bit\r\n" +
      "\r\nhello\r\n\r\n" +
      "--=_ID\r\nContent-Type: text/html; charset=utf-8\r\nContent-Transfer-Encoding: 7bit\r\n" +
      "\r\n<p>hello</p>\r\n\r\n--=_ID--\r\n",
  );
});
