import { type Command, InvalidArgumentError, Option } from "commander";
import { dirname } from "node:path";
import type { DkimAlgorithm } from "../lib/config/mod.ts";
import { dnsRecordLine, generateDkimKey } from "../lib/dkim/mod.ts";
import { EXIT_FAILURE, EXIT_OK } from "./exit_codes.ts";
import type { CliIo } from "./io.ts";

/** Letters, digits and hyphens in dot-separated labels (RFC 6376 §3.1 selectors, domain names). */
const NAME_REGEXP =
  /^(?=.{1,253}$)[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*$/i;

/** Options of `empath dkim keygen`. */
export interface KeygenOptions {
  /** The key type. @default {"rsa"} */
  algorithm?: DkimAlgorithm;
  /** Where the private key goes. @default {"<domain>.<selector>.pem"} */
  out?: string;
}

/**
 * `empath dkim keygen DOMAIN SELECTOR`: writes a new private key (PKCS#8 PEM,
 * mode 0600, never over an existing file) and prints the DNS TXT record that
 * publishes it on standard output; where the key went, and the `[[dkim]]` entry
 * that uses it, go to standard error.
 *
 * @returns {@linkcode EXIT_OK}, or {@linkcode EXIT_FAILURE} if the file exists or cannot be written.
 */
export async function dkimKeygenCommand(
  target: { domain: string; selector: string },
  options: KeygenOptions,
  io: CliIo,
): Promise<number> {
  const domain = target.domain.toLowerCase();
  const selector = target.selector.toLowerCase();
  const algorithm = options.algorithm ?? "rsa";
  const path = options.out ?? `${domain}.${selector}.pem`;
  const key = generateDkimKey(algorithm);
  try {
    await Deno.mkdir(dirname(path), { recursive: true });
    await Deno.writeTextFile(path, key.pem, { mode: 0o600, createNew: true });
    await Deno.chmod(path, 0o600); // whatever the umask
  } catch (error) {
    const reason = error instanceof Deno.errors.AlreadyExists
      ? "the file exists (a key is never overwritten)"
      : error instanceof Error
      ? error.message
      : String(error);
    io.writeErr(`empath: cannot write private key "${path}": ${reason}\n`);
    return EXIT_FAILURE;
  }
  io.writeOut(`${dnsRecordLine({ selector, domain, record: key.record })}\n`);
  io.writeErr(
    `empath: private key written to ${path} (mode 0600); publish the TXT record above, then add:\n` +
      `[[dkim]]\ndomain = "${domain}"\nselector = "${selector}"\nkey = "${path}"\n`,
  );
  return EXIT_OK;
}

function nameArgument(what: string) {
  return (value: string): string => {
    if (!NAME_REGEXP.test(value)) {
      throw new InvalidArgumentError(`Expected ${what} (letters, digits, hyphens, dots).`);
    }
    return value;
  };
}

/**
 * Adds `empath dkim keygen` to the program.
 *
 * @param program The commander program.
 * @param context Where output goes, and how the exit code is reported.
 */
export function addDkimCommands(
  program: Command,
  context: { io: CliIo; finish: (code: number) => void },
): void {
  const dkim = program.command("dkim").description("DKIM signing keys");
  dkim.command("keygen")
    .description("write a new signing key and print the DNS TXT record that publishes it")
    .argument("<domain>", "the signing domain (d=)", nameArgument("a domain name"))
    .argument("<selector>", "the selector (s=), e.g. s1 or 2024-01", nameArgument("a selector"))
    .addOption(
      new Option("--algorithm <type>", "key type: RSA 2048 bits or Ed25519 (RFC 8463)")
        .choices(["rsa", "ed25519"]).default("rsa"),
    )
    .option("--out <file>", "private key file (default: <domain>.<selector>.pem)")
    .action(async (domain: string, selector: string, options: KeygenOptions) =>
      context.finish(await dkimKeygenCommand({ domain, selector }, options, context.io))
    );
}
