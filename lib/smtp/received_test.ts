import assert from "node:assert/strict";
import { receivedHeader, receivedProtocol } from "./received.ts";
import { formatMessageDate } from "./message_date.ts";

const DATE = new Date(Date.UTC(2024, 1, 29, 23, 5, 9));

Deno.test("formatMessageDate() writes RFC 5322 dates in UTC", () => {
  assert.equal(formatMessageDate(DATE), "Thu, 29 Feb 2024 23:05:09 +0000");
  assert.equal(
    formatMessageDate(new Date(Date.UTC(1999, 11, 31, 0, 0, 0))),
    "Fri, 31 Dec 1999 00:00:00 +0000",
  );
  assert.throws(() => formatMessageDate(new Date(Number.NaN)), RangeError);
});

Deno.test("receivedHeader() folds one clause per line and ends in CRLF", () => {
  const header = receivedHeader({
    from: "client.example",
    ip: "2001:db8::1",
    rdns: "host.client.example",
    by: "mx.example.test",
    with: "ESMTP",
    id: "01HXYZ",
    date: DATE,
  });
  assert.equal(
    header,
    "Received: from client.example (host.client.example [IPv6:2001:db8::1])\r\n" +
      "\tby mx.example.test (Empath) with ESMTP id 01HXYZ; Thu, 29 Feb 2024 23:05:09 +0000\r\n",
  );
});

Deno.test("receivedHeader() records TLS and the single recipient", () => {
  const header = receivedHeader({
    from: "[192.0.2.1]",
    ip: "192.0.2.1",
    by: "mx.example.test",
    with: "ESMTPSA",
    tls: { version: "TLSv1.3", cipher: "TLS_AES_128_GCM_SHA256" },
    id: "Q1",
    for: "user@example.test",
    date: DATE,
  });
  assert.equal(
    header,
    "Received: from [192.0.2.1] ([192.0.2.1])\r\n" +
      "\t(using TLSv1.3 with cipher TLS_AES_128_GCM_SHA256)\r\n" +
      "\tby mx.example.test (Empath) with ESMTPSA id Q1\r\n" +
      "\tfor <user@example.test>; Thu, 29 Feb 2024 23:05:09 +0000\r\n",
  );
});

Deno.test("receivedHeader() never lets a hostile HELO break the header", () => {
  const header = receivedHeader({
    from: "evil) (by fake\r\nX-Injected: 1",
    ip: "192.0.2.1",
    by: "mx.example.test",
    with: "SMTP",
    id: "Q\r\n1",
    date: DATE,
  });
  assert.equal(
    header,
    "Received: from unknown ([192.0.2.1] helo=evil\\) \\(by fakeX-Injected: 1)\r\n" +
      "\tby mx.example.test (Empath) with SMTP id Q1; Thu, 29 Feb 2024 23:05:09 +0000\r\n",
  );
  assert.equal(header.split("\r\n").length, 3);
});

Deno.test("receivedProtocol() names the protocol per RFC 3848 and RFC 6531", () => {
  const name = (esmtp: boolean, tls: boolean, authenticated: boolean, utf8: boolean) =>
    receivedProtocol({ esmtp, tls, authenticated, utf8 });
  assert.equal(name(false, true, true, true), "SMTP");
  assert.equal(name(true, false, false, false), "ESMTP");
  assert.equal(name(true, true, false, false), "ESMTPS");
  assert.equal(name(true, false, true, false), "ESMTPA");
  assert.equal(name(true, true, true, false), "ESMTPSA");
  assert.equal(name(true, true, true, true), "UTF8SMTPSA");
  assert.equal(name(true, false, false, true), "UTF8SMTP");
});
