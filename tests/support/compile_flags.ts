/**
 * The permission flags `deno task compile` bakes into dist/empath, read from
 * deno.json's compile task: the one place they are written.
 */
const DENO_JSON = new URL("../../deno.json", import.meta.url);

/** The runtime flags of the compile task: `deno compile <flags> --output <file> <entry>`. */
export async function compileFlags(): Promise<string[]> {
  const denoJson = JSON.parse(await Deno.readTextFile(DENO_JSON));
  const task: string = denoJson.tasks.compile;
  const compile = task.split("&&").map((part) => part.trim()).find((part) =>
    part.startsWith("deno compile ")
  );
  if (compile === undefined) throw new Error(`The compile task runs no deno compile: ${task}`);
  const words = compile.split(/\s+/).slice(2);
  const flags: string[] = [];
  for (let i = 0; i < words.length; i++) {
    if (words[i] === "--output") i++;
    else if (words[i].startsWith("-")) flags.push(words[i]);
    else if (i !== words.length - 1) throw new Error(`Unexpected word "${words[i]}" in ${task}`);
  }
  return flags;
}

/** The comma-separated values of `--name=a,b` among `flags`; empty when absent or bare. */
export function flagValues(flags: readonly string[], name: string): string[] {
  const flag = flags.find((candidate) => candidate.startsWith(`${name}=`));
  return flag === undefined ? [] : flag.slice(name.length + 1).split(",");
}

/** True when `path` (absolute) is inside one of the absolute entries of a path permission. */
export function allowedBy(path: string, entries: readonly string[]): boolean {
  return entries.some((entry) =>
    entry.startsWith("/") && (path === entry || path.startsWith(`${entry}/`))
  );
}
