/**
 * Markdown for the configuration reference, written the way `deno fmt` writes it (prose
 * wrapped at the line width, table columns padded), so the generated file is already formatted.
 */

/** `deno fmt`'s line width in this repository (deno.json `fmt.lineWidth`). */
export const LINE_WIDTH = 100;

const CODE_SPAN_REGEXP = /(`+)[^`]*?\1/g;
/** A word: a run of non-space characters, where quoted and bracketed parts may hold spaces. */
const WORD_REGEXP = /(?:[^\s"[]*(?:"[^"\n]*"|\[[^\]\n]*\]))+[^\s"[]*|\S+/g;
const EDGE_REGEXP = /^(\(*)(.*?)([).,;:!?]*)$/s;
const TABLE_REGEXP = /^\[\[?[a-z_][a-z0-9_]*(?:\.[a-z_][a-z0-9_]*)*\]\]?$/;
const DOCS_LINK_REGEXP = /^docs\/([A-Z_]+\.md)(#[a-z0-9-]+)?$/;
const TECHNICAL_REGEXP = /[_<>*|=@$\\]|^[#>]/;

/**
 * Turns comment text into Markdown: words with quoted values, table names (`[tls]`) and words
 * with `_`, `<`, `>`, `*`, `|`, `=`, `@`, `$` or `\` become code; `docs/NAME.md` becomes a
 * link. Text already in backticks is kept.
 */
export function inlineMarkdown(text: string): string {
  let result = "";
  let last = 0;
  for (const match of text.matchAll(CODE_SPAN_REGEXP)) {
    result += markPlain(text.slice(last, match.index)) + match[0];
    last = match.index + match[0].length;
  }
  return result + markPlain(text.slice(last));
}

function markPlain(text: string): string {
  return text.replace(WORD_REGEXP, (word) => {
    const [, before, core, after] = word.match(EDGE_REGEXP)!;
    const link = core.match(DOCS_LINK_REGEXP);
    if (link !== null) return `${before}[${link[1]}](${link[1]}${link[2] ?? ""})${after}`;
    const isCode = TABLE_REGEXP.test(core) || core.includes('"') ||
      (TECHNICAL_REGEXP.test(core) && /[A-Za-z0-9]/.test(core));
    return isCode ? before + codeSpan(core) + after : word;
  });
}

/** Wraps text in a code span, with longer backtick fences if it holds backticks. */
export function codeSpan(text: string): string {
  const longest = Math.max(0, ...(text.match(/`+/g) ?? []).map((run) => run.length));
  const fence = "`".repeat(longest + 1);
  const pad = longest > 0 ? " " : "";
  return `${fence}${pad}${text}${pad}${fence}`;
}

/** Splits Markdown text into the words line breaks may go between (code spans stay whole). */
function words(text: string): string[] {
  const result: string[] = [];
  let current = "";
  let fence = "";
  for (let index = 0; index < text.length; index++) {
    const char = text[index];
    if (char === "`") {
      const run = text.slice(index).match(/^`+/)![0];
      if (fence === "") fence = run;
      else if (run === fence) fence = "";
      current += run;
      index += run.length - 1;
    } else if (/\s/.test(char) && fence === "") {
      if (current !== "") result.push(current);
      current = "";
    } else current += char;
  }
  if (current !== "") result.push(current);
  return result;
}

/** A word that would start a list if it began a line; `deno fmt` keeps it off line starts. */
function startsList(word: string): boolean {
  return /^(?:[-+*]|\d+[.)])$/.test(word);
}

/**
 * Fills a paragraph to {@linkcode LINE_WIDTH}, as `deno fmt` does: a word that would start a
 * list at the start of a line takes the word before it along.
 */
export function wrapParagraph(text: string, width = LINE_WIDTH): string {
  const lines: string[][] = [[]];
  let length = 0;
  for (const word of words(text)) {
    const line = lines[lines.length - 1];
    const size = [...word].length;
    if (line.length === 0 || length + 1 + size <= width) {
      line.push(word);
      length += (line.length > 1 ? 1 : 0) + size;
      continue;
    }
    const next = startsList(word) && line.length > 1 ? [line.pop()!, word] : [word];
    lines.push(next);
    length = [...next.join(" ")].length;
  }
  return lines.map((line) => line.join(" ")).join("\n");
}

/** A Markdown table with padded columns; `|` in cells is escaped. */
export function markdownTable(
  header: readonly string[],
  rows: readonly (readonly string[])[],
): string {
  const cells = [header, ...rows].map((row) => row.map((cell) => cell.replaceAll("|", "\\|")));
  const widths = header.map((_, column) =>
    Math.max(3, ...cells.map((row) => [...row[column]].length))
  );
  const line = (row: readonly string[]) =>
    `| ${
      row.map((cell, column) => cell + " ".repeat(widths[column] - [...cell].length)).join(" | ")
    } |`;
  const rule = `| ${widths.map((width) => "-".repeat(width)).join(" | ")} |`;
  return [line(cells[0]), rule, ...cells.slice(1).map(line)].join("\n");
}
