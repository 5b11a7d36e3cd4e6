/**
 * Prettier's measure of text (wide East Asian characters and emoji count 2, combining marks 0), for emitters that
 * print their output in prettier's final form: a measure, not a formatting pass. The standalone build exports `util`
 * as the main entry does; only its type declarations leave it out.
 */
import * as prettierStandalone from "prettier/standalone";

/** The width prettier gives `text` on a line. */
export const getStringWidth: (text: string) => number = (prettierStandalone as unknown as { util: { getStringWidth(text: string): number } }).util
  .getStringWidth;

/** The line width of the generated TypeScript (prettier's `printWidth` for it, `PRETTIER_OPTIONS` in format.ts). */
export const PRINT_WIDTH = 120;
