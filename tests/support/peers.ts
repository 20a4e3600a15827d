/**
 * Finding the real peers (swaks, Postfix tools, python, openssl) that interop
 * tests run against. Outside CI a missing peer skips its test with a one-line
 * notice naming the Debian package; with `CI=true` the test runs and fails.
 */

const found = new Map<string, string | undefined>();

/** Absolute path of `binary` on PATH (or in /usr/sbin), or undefined. */
export function which(binary: string): string | undefined {
  if (found.has(binary)) return found.get(binary);
  const dirs = [...(Deno.env.get("PATH") ?? "").split(":"), "/usr/sbin", "/usr/bin", "/sbin"];
  let path: string | undefined;
  for (const dir of dirs) {
    try {
      const candidate = `${dir}/${binary}`;
      if (Deno.statSync(candidate).isFile) {
        path = candidate;
        break;
      }
    } catch {
      // not in this directory
    }
  }
  found.set(binary, path);
  return path;
}

/** True when the test runs in CI, where interop tests must run, not skip. */
export const IN_CI = Deno.env.get("CI") === "true";

/**
 * `ignore` flag for a test needing `binary` from Debian package `pkg`: prints a
 * one-line notice and skips outside CI; never skips in CI.
 */
export function skipWithout(binary: string, pkg: string): boolean {
  if (which(binary) !== undefined || IN_CI) return false;
  console.error(`skipping: ${binary} not found (apt-get install ${pkg})`);
  return true;
}

/** Python interpreter with Debian's packages (aiosmtpd), falling back to PATH. */
export function debianPython(): string {
  try {
    Deno.statSync("/usr/bin/python3");
    return "/usr/bin/python3";
  } catch {
    return "python3";
  }
}

/** Runs a command to completion with optional stdin; returns code and output. */
export async function run(
  cmd: string,
  args: string[],
  options: { stdin?: string; timeoutMs?: number; env?: Record<string, string>; cwd?: string } = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
  const child = new Deno.Command(cmd, {
    args,
    stdin: options.stdin === undefined ? "null" : "piped",
    stdout: "piped",
    stderr: "piped",
    env: options.env,
    cwd: options.cwd,
    signal: AbortSignal.timeout(options.timeoutMs ?? 60_000),
  }).spawn();
  if (options.stdin !== undefined) {
    const writer = child.stdin.getWriter();
    await writer.write(new TextEncoder().encode(options.stdin));
    await writer.close();
  }
  const output = await child.output();
  const decoder = new TextDecoder();
  return {
    code: output.code,
    stdout: decoder.decode(output.stdout),
    stderr: decoder.decode(output.stderr),
  };
}
