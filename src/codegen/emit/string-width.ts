/**
 * Prettier's measure of text (wide East Asian characters and emoji count 2, combining marks 0), for emitters that
 * print their output in prettier's final form: a measure, not a formatting pass. Text of printable ASCII, and of the
 * narrow letters and signs schema descriptions use besides (accented Latin letters, typographic punctuation, arrows,
 * mathematical signs), is measured here, one column per character, as prettier measures it; any other text by
 * prettier's own `getStringWidth`, loaded only then, so that a `generate` of ordinary text never loads prettier. The
 * standalone build exports `util` as the main entry does; only its type declarations leave it out.
 */
import { createRequire } from "node:module";

/** The line width of the generated TypeScript (prettier's `printWidth` for it, `PRETTIER_OPTIONS` in format.ts). */
export const PRINT_WIDTH = 120;

/**
 * Characters prettier counts as one column each: printable ASCII; Latin-1's letters and signs after its
 * no-break space and Latin Extended-A and -B (U+00A0–U+024F); general punctuation from the hyphen to the
 * reversed-semicolon sign (U+2010–U+205E: dashes, quotes, the ellipsis, per-mille); arrows and mathematical
 * operators (U+2190–U+22FF); the first character beyond U+FFFF and the two private-use planes (U+F0000–U+10FFFF),
 * which is what schema patterns write for "beyond the Basic Multilingual Plane". None of them is East Asian wide or
 * full-width or a combining mark; the few that are emoji (©, ®, ‼, ⁉, ↔ and its neighbours) are emoji of text
 * presentation, which prettier also counts as one. format.test.ts compares every character of these ranges with
 * prettier's measure.
 */
const ONE_COLUMN_EACH = /^[\x20-\x7e\u00a0-\u024f\u2010-\u205e\u2190-\u22ff\u{10000}\u{f0000}-\u{10ffff}]*$/u;

/** A character beyond U+FFFF: two UTF-16 code units, one column. */
const ASTRAL = /[\u{10000}-\u{10ffff}]/gu;

let prettierWidth: ((text: string) => number) | undefined;

/** prettier's own measure, from its standalone build (loaded once, on first use). */
function prettierStringWidth(text: string): number {
  prettierWidth ??= (createRequire(import.meta.url)("prettier/standalone") as { util: { getStringWidth(text: string): number } }).util.getStringWidth;
  return prettierWidth(text);
}

/** The width prettier gives `text` on a line. */
export function getStringWidth(text: string): number {
  if (!ONE_COLUMN_EACH.test(text)) return prettierStringWidth(text);
  return text.length - (text.match(ASTRAL)?.length ?? 0);
}
