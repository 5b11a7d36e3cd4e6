/**
 * Bringing the TypeScript that libraries print (json-schema-to-typescript's models, ts-morph's reconcile skeleton)
 * into the form prettier gives it, without prettier: a `generate` that makes every file then never loads prettier
 * (its standalone build and TypeScript plugins cost more to load than all the formatting they do). Each layout here
 * knows the few shapes its library prints and the rules prettier applies to exactly those; text with any other shape,
 * or with a line that prettier would break, gives `undefined`, and the caller lets prettier format it. The rules are
 * prettier 3's for `printWidth` {@link PRINT_WIDTH}: a JSDoc block is indented with its code and each inner line
 * trimmed; a type annotation that fits stays on its line and ends with a semicolon; parentheses around a whole union
 * go; an object type is one member per line. format.test.ts holds every layout to prettier's output, for the MySQL
 * schema, the fixtures and randomly made schemas.
 */
import { getStringWidth, PRINT_WIDTH } from "./string-width.ts";

/** Characters prettier turns into line ends of its own or that it reads as ones: such text is left to prettier. */
const OTHER_LINE_ENDS = /[\r\u2028\u2029\v\f]/;

/** A line of a JSDoc block (`/**`, ` * text`, ` *\/`) as the emitters print them, before indentation. */
const COMMENT_LINE = /^\s*(?:\/\*\*|\*)/;

/** A JSDoc line that ends in a Markdown line break (two blanks), which prettier keeps. */
const LINE_BREAK_KEPT = /^\s*\*.*\S {2}$/;

/**
 * An inner line of a JSDoc block (after `/**`, before its end) as prettier prints it, without the indentation: a blank
 * and the line trimmed, with two blanks after it where it ended in two or more (a Markdown line break). (Prettier 3:
 * `printIndentableBlockComment`.)
 */
export function jsdocInnerLine(line: string): string {
  const start = line.trimStart();
  const text = start.trimEnd();
  return ` ${text}${text !== "*" && start.endsWith("  ") ? "  " : ""}`;
}

/** Whether `line` belongs to a comment: a JSDoc line or a line comment (prettier never wraps or re-quotes those). */
export function isCommentLine(line: string): boolean {
  return COMMENT_LINE.test(line) || line.trimStart().startsWith("//");
}

/**
 * Whether a line of code (not a comment) is as prettier prints it: no wider than {@link PRINT_WIDTH}, and no escaped
 * double quote (a string with more `"` than `'` prettier puts in single quotes: a `--runtime-import` holding one, found
 * in review).
 */
export function codeLineFits(line: string): boolean {
  return getStringWidth(line) <= PRINT_WIDTH && !line.includes('\\"');
}

/**
 * Whether `text` is as prettier prints it line by line: no line but a comment's wider than {@link PRINT_WIDTH} (prettier
 * never wraps a comment), no trailing blanks (but a JSDoc line's Markdown line break), no line end but LF, one line
 * end at the end, and every line of code as {@link codeLineFits} wants it.
 */
export function linesFit(text: string): boolean {
  if (OTHER_LINE_ENDS.test(text) || !text.endsWith("\n") || text.endsWith("\n\n")) return false;
  return text
    .slice(0, -1)
    .split("\n")
    .every((line) => (line === line.trimEnd() || LINE_BREAK_KEPT.test(line)) && (isCommentLine(line) || codeLineFits(line)));
}

/** A type prettier prints as it is: a name, a keyword, a string or number literal, `Record<string, unknown>`. */
const SIMPLE_TYPE = /^(?:[A-Za-z_$][A-Za-z0-9_$]*|"[^"\\]*"|-?\d+(?:\.\d+)?|Record<string, unknown>)$/;

/**
 * The members of a one-line union, split at its top-level ` | `; `undefined` when a string or a parenthesis (or angle
 * bracket) of `text` is not closed within it, in order.
 */
function unionMembers(text: string): string[] | undefined {
  const members: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '"') {
      const end = text.indexOf('"', i + 1);
      if (end < 0) return undefined;
      i = end;
    } else if (c === "(" || c === "<") depth++;
    else if (c === ")" || c === ">") {
      if (--depth < 0) return undefined;
    } else if (depth === 0 && text.startsWith(" | ", i)) {
      members.push(text.slice(start, i));
      start = i + 3;
      i += 2;
    }
  }
  if (depth !== 0) return undefined;
  members.push(text.slice(start));
  return members;
}

/**
 * A union member as prettier prints it: a simple type, with `[]` after it any number of times; or a parenthesised union
 * of at least two simple types, followed by `[]` (prettier keeps those parentheses).
 */
function memberForm(member: string): string | undefined {
  const array = /^(.*?)((?:\[\])*)$/.exec(member);
  const [, base = "", brackets = ""] = array ?? [];
  if (SIMPLE_TYPE.test(base)) return member;
  if (brackets === "" || !base.startsWith("(") || !base.endsWith(")")) return undefined;
  const inner = unionMembers(base.slice(1, -1));
  return inner !== undefined && inner.length >= 2 && inner.every((m) => SIMPLE_TYPE.test(m)) ? member : undefined;
}

/** `type` (one line, as json-schema-to-typescript prints it) in prettier's form, or `undefined` when not modelled. */
export function typeForm(type: string): string | undefined {
  let text = type;
  // Parentheses around the whole type go: json-schema-to-typescript puts them around every union.
  if (text.startsWith("(") && text.endsWith(")")) {
    const inner = text.slice(1, -1);
    const members = unionMembers(inner);
    if (members !== undefined && members.length >= 2) text = inner;
  }
  const members = unionMembers(text);
  if (members === undefined) return undefined;
  const printed = members.map(memberForm);
  return printed.every((m) => m !== undefined) ? printed.join(" | ") : undefined;
}

/**
 * A member of an object type as json-schema-to-typescript prints it: `key?: type` with an identifier for a key (prettier
 * prints it as it is), or `[k: string]: type`.
 */
const MEMBER = /^((?:[A-Za-z_$][A-Za-z0-9_$]*\??)|\[k: string\]): (.+)$/;

/**
 * The text json-schema-to-typescript prints (with `format: false`: declarations and members one per line, nothing
 * indented, no semicolons, each JSDoc block a line each) in prettier's form, or `undefined` when it holds a shape this
 * layout does not model (an enum, `extends`, a tuple, an intersection, a quoted key, a type spanning lines other than
 * an object type) or a line prettier would break.
 */
export function modelsLayout(raw: string): string | undefined {
  if (OTHER_LINE_ENDS.test(raw)) return undefined;
  const out: string[] = [];
  // What each open `{` closes as: a declaration (`}`) or a member's object type (`};`, `}[];`).
  const open: ("declaration" | "member")[] = [];
  let inComment = false;
  const indent = (): string => "  ".repeat(open.length);
  for (const line of raw.split("\n")) {
    if (inComment) {
      inComment = line !== " */";
      if (!line.startsWith(" *")) return undefined;
      out.push(`${indent()}${jsdocInnerLine(line)}`);
      continue;
    }
    if (line === "/**") {
      inComment = true;
      out.push(`${indent()}/**`);
      continue;
    }
    if (line === "") {
      // Prettier keeps one blank line between declarations, none inside a block or at the end.
      if (open.length > 0) return undefined;
      if (out.length > 0 && out[out.length - 1] !== "") out.push("");
      continue;
    }
    const declaration = /^export interface ([A-Za-z_$][A-Za-z0-9_$]*) \{$/.exec(line);
    if (declaration !== null && open.length === 0) {
      out.push(line);
      open.push("declaration");
      continue;
    }
    const alias = /^export type ([A-Za-z_$][A-Za-z0-9_$]*) = (.+)$/.exec(line);
    if (alias !== null && open.length === 0) {
      const type = typeForm(alias[2] ?? "");
      if (type === undefined) return undefined;
      out.push(`export type ${alias[1]} = ${type};`);
      continue;
    }
    const close = /^\}((?:\[\])*)$/.exec(line);
    if (close !== null) {
      const kind = open.pop();
      if (kind === undefined || (kind === "declaration" && close[1] !== "")) return undefined;
      out.push(kind === "declaration" ? `${indent()}}` : `${indent()}}${close[1]};`);
      continue;
    }
    const member = MEMBER.exec(line);
    if (member === null || open.length === 0) return undefined;
    const [, key = "", type = ""] = member;
    if (type === "{") {
      out.push(`${indent()}${key}: {`);
      open.push("member");
      continue;
    }
    const form = typeForm(type);
    if (form === undefined) return undefined;
    out.push(`${indent()}${key}: ${form};`);
  }
  if (inComment || open.length > 0) return undefined;
  while (out[out.length - 1] === "") out.pop();
  const text = `${out.join("\n")}\n`;
  return linesFit(text) ? text : undefined;
}
