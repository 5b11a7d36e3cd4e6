/**
 * JSON data printed as a TypeScript expression in the form prettier gives it (printWidth {@link PRINT_WIDTH}, double
 * quotes, trailing commas), so that an output made of a template and data needs no prettier pass. The rules are those
 * prettier applies to what `JSON.stringify(value, null, 2)` prints: a non-empty object stays one key per line (the
 * text puts its first key on a new line), an array is one line when that line fits and one element per line when it
 * does not (always when it holds a non-empty object), a key is quoted only when it is not an identifier, a string
 * takes single quotes when it holds more double quotes than single ones, and a string value too long for its line
 * moves under its key unless the key is shorter than 5 characters. Data outside those rules (a number that does not
 * fit, a long array of numbers, arrays of arrays, a key that is not ASCII, a key too long for its object or array value
 * to start beside it) gives `undefined`: the caller lets prettier format it. format.test.ts holds the printer to
 * prettier's output.
 */
import { getStringWidth, PRINT_WIDTH } from "./string-width.ts";

/** A key prettier prints without quotes (`quoteProps: "as-needed"`): an ASCII identifier. */
const IDENTIFIER = /^[A-Za-z_$][A-Za-z0-9_$]*$/;

/** A key at most this wide never has its value moved under it (prettier: tab width 2 + an overlap of 3). */
const SHORT_KEY_WIDTH = 5;

/** Thrown inside the printer for data it does not model; {@link printLiteral} turns it into `undefined`. */
class Unmodelled extends Error {}

function quote(text: string): string {
  const json = JSON.stringify(text);
  let doubles = 0;
  let singles = 0;
  for (const c of text) {
    if (c === '"') doubles++;
    else if (c === "'") singles++;
  }
  if (doubles <= singles) return json;
  return `'${json.slice(1, -1).replaceAll('\\"', '"').replaceAll("'", "\\'")}'`;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** The value on one line, or `undefined` when it cannot be (a non-empty object). */
function flat(value: unknown): string | undefined {
  if (Array.isArray(value)) {
    const items = value.map(flat);
    return items.every((i) => i !== undefined) ? `[${items.join(", ")}]` : undefined;
  }
  if (isObject(value)) return Object.keys(value).length === 0 ? "{}" : undefined;
  return primitive(value);
}

function primitive(value: unknown): string {
  if (typeof value === "string") return quote(value);
  if (value === null || typeof value === "boolean") return String(value);
  if (typeof value === "number" && Number.isFinite(value)) return String(value).replace("e+", "e");
  throw new Unmodelled(`not JSON data: ${typeof value}`);
}

/** `value` starting at `column` of a line indented by `indent`, followed on that line by `suffix`. */
function print(value: unknown, indent: string, column: number, suffix: string): string {
  if (Array.isArray(value)) return printArray(value, indent, column, suffix);
  if (isObject(value)) return printObject(value, indent);
  const text = primitive(value);
  if (typeof value !== "string" && column + getStringWidth(text) + suffix.length > PRINT_WIDTH) throw new Unmodelled("a long line ending in a non-string");
  return text;
}

function printArray(value: readonly unknown[], indent: string, column: number, suffix: string): string {
  if (value.length === 0) return "[]";
  const nested = value.length > 1 && value.every((v) => Array.isArray(v) && v.length > 1);
  if (nested) throw new Unmodelled("an array of arrays");
  const line = flat(value);
  if (line !== undefined && column + getStringWidth(line) + suffix.length <= PRINT_WIDTH) return line;
  if (value.length > 1 && value.every((v) => typeof v === "number")) throw new Unmodelled("a long array of numbers (prettier fills lines)");
  const inner = `${indent}  `;
  return `[\n${value.map((v) => `${inner}${print(v, inner, inner.length, ",")},\n`).join("")}${indent}]`;
}

function printObject(value: Record<string, unknown>, indent: string): string {
  const entries = Object.entries(value);
  if (entries.length === 0) return "{}";
  const inner = `${indent}  `;
  const lines = entries.map(([key, v]) => {
    if (!/^[\x20-\x7e]*$/.test(key)) throw new Unmodelled("a key that is not printable ASCII");
    const printedKey = IDENTIFIER.test(key) ? key : quote(key);
    const start = `${inner}${printedKey}: `;
    if (typeof v === "string" && printedKey.length >= SHORT_KEY_WIDTH) {
      const text = quote(v);
      // prettier's "break after operator" layout for a string value: under the key when it does not fit beside it.
      if (start.length + getStringWidth(text) + 1 > PRINT_WIDTH) return `${inner}${printedKey}:\n${inner}  ${text},\n`;
      return `${start}${text},\n`;
    }
    // prettier moves an object or array under its key when its opening bracket (an empty one with its comma) would pass
    // the line's end; that layout is not modelled.
    if (typeof v === "object" && v !== null && start.length + 3 > PRINT_WIDTH) throw new Unmodelled("a key too long for its value's bracket");
    return `${start}${print(v, inner, start.length, ",")},\n`;
  });
  return `{\n${lines.join("")}${indent}}`;
}

/**
 * `value` (JSON data) as prettier prints it where it starts at `column` of a line indented by `indent` and is followed
 * by `suffix` (e.g. `;`); `undefined` for data outside the rules in the module comment.
 */
export function printLiteral(value: unknown, indent: string, column: number, suffix: string): string | undefined {
  try {
    return print(value, indent, column, suffix);
  } catch (error) {
    if (error instanceof Unmodelled) return undefined;
    throw error;
  }
}
