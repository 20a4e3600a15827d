import { z } from "zod";
import type { ControlConfig } from "./types.ts";
import {
  arrayValue,
  checkedValue,
  choiceValue,
  listenAddressValue,
  reportDuplicates,
  sizeValue,
  textValue,
} from "./_schema_values.ts";

const SHA256_HEX_REGEXP = /^[0-9a-f]{64}$/i;

/** A SHA-256 digest as 64 hexadecimal digits, lowercased; never shown in errors. */
function tokenHashValue() {
  const expected = "a SHA-256 hash of the token as 64 hexadecimal digits (`empath control token`)";
  return checkedValue(expected, (input) => {
    const isHash = typeof input === "string" && SHA256_HEX_REGEXP.test(input);
    return isHash ? input.toLowerCase() : undefined;
  }, { isSecret: true });
}

const controlTokenSchema = z.strictObject({
  name: textValue("a non-empty token name"),
  hash: tokenHashValue(),
  scope: choiceValue(["read", "inject", "admin"]),
});

/** `[control]`: the HTTP control API. */
export const controlSchema: z.ZodType<ControlConfig, unknown> = z.strictObject({
  listen: listenAddressValue().default("127.0.0.1:8025"),
  token_file: textValue("a file path").default("data/control.token"),
  tokens: arrayValue(controlTokenSchema).superRefine((tokens, context) => {
    reportDuplicates(tokens.map((token) => token.name), context, { key: "name" });
  }).default(() => []),
  max_body: sizeValue().default(1_048_576),
}).transform((control) => ({
  listen: control.listen,
  tokenFile: control.token_file,
  tokens: control.tokens,
  maxBody: control.max_body,
}));
