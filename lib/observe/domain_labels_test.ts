import assert from "node:assert/strict";
import { DomainLabels, OTHER_DOMAIN } from "./domain_labels.ts";

Deno.test("DomainLabels.label() keeps the first maxDomains domains and labels the rest other", () => {
  const labels = new DomainLabels(2);
  assert.equal(labels.label("a.example"), "a.example");
  assert.equal(labels.label("b.example"), "b.example");
  assert.equal(labels.label("c.example"), OTHER_DOMAIN);
  assert.equal(labels.label("d.example"), OTHER_DOMAIN);
  // Domains seen before the cap keep their label for good.
  assert.equal(labels.label("a.example"), "a.example");
  assert.equal(labels.label("b.example"), "b.example");
  assert.equal(labels.size, 2);
});

Deno.test("DomainLabels.label() compares domains case-insensitively, without a trailing dot", () => {
  const labels = new DomainLabels(1);
  assert.equal(labels.label("Example.ORG."), "example.org");
  assert.equal(labels.label("example.org"), "example.org");
  assert.equal(labels.label("EXAMPLE.org."), "example.org");
  assert.equal(labels.size, 1);
});

Deno.test("DomainLabels.label() labels missing domains other without using the cap", () => {
  const labels = new DomainLabels(1);
  assert.equal(labels.label(undefined), OTHER_DOMAIN);
  assert.equal(labels.label(""), OTHER_DOMAIN);
  assert.equal(labels.size, 0);
  assert.equal(labels.label("example.org"), "example.org");
});

Deno.test("DomainLabels with a cap of 0 labels every domain other", () => {
  const labels = new DomainLabels(0);
  assert.equal(labels.label("example.org"), OTHER_DOMAIN);
  assert.equal(labels.size, 0);
});

Deno.test("DomainLabels defaults to 100 domains", () => {
  const labels = new DomainLabels();
  for (let i = 0; i < 100; i++) assert.equal(labels.label(`d${i}.example`), `d${i}.example`);
  assert.equal(labels.label("d100.example"), OTHER_DOMAIN);
});

Deno.test("DomainLabels rejects a negative or fractional cap", () => {
  assert.throws(() => new DomainLabels(-1), RangeError);
  assert.throws(() => new DomainLabels(1.5), RangeError);
});
