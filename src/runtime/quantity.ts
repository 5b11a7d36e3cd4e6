/**
 * Kubernetes quantities (`500m`, `1Gi`, `1e3`, `0.5`), compared exactly: the API server stores a quantity in its own
 * form (`0.5` as `500m`, `1024Mi` as `1Gi`), so two strings may name one amount.
 */

const DECIMAL_EXPONENTS: Readonly<Record<string, number>> = { "": 0, m: -3, k: 3, M: 6, G: 9, T: 12, P: 15, E: 18 };
const BINARY_POWERS: Readonly<Record<string, bigint>> = { Ki: 10n, Mi: 20n, Gi: 30n, Ti: 40n, Pi: 50n, Ei: 60n };

/** The syntax of a quantity (the API server's, as in the schema's patterns, with a sign). */
const QUANTITY = /^([+-]?)([0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE]([-+]?[0-9]+)|(Ki|Mi|Gi|Ti|Pi|Ei|m|k|M|G|T|P|E))?$/;

/** Exponents of ten beyond this many are not compared (see {@link amountOf}). */
const MAX_EXPONENT = 64;

/** A quantity's amount, exactly: `mantissa` × 10^`exponent`. */
interface Amount {
  readonly mantissa: bigint;
  readonly exponent: number;
}

function amountOf(text: string): Amount | undefined {
  const match = QUANTITY.exec(text);
  if (match === null) return undefined;
  const [, sign, number = "", power, suffix = ""] = match;
  const [whole = "", fraction = ""] = number.split(".");
  let mantissa = BigInt(`${whole}${fraction}` || "0");
  let exponent = -fraction.length;
  if (power !== undefined) exponent += Number(power);
  else if (suffix in BINARY_POWERS) mantissa <<= BINARY_POWERS[suffix]!;
  else exponent += DECIMAL_EXPONENTS[suffix] ?? 0;
  // Far beyond any amount the API server takes (its quantities fit 64 bits with a power of ten up to 18): not compared.
  if (Math.abs(exponent) > MAX_EXPONENT) return undefined;
  return { mantissa: sign === "-" ? -mantissa : mantissa, exponent };
}

/** Whether `text` is a Kubernetes quantity. */
export function isQuantity(text: string): boolean {
  return amountOf(text) !== undefined;
}

/**
 * How the amounts of two quantities compare: negative when `a` is less, 0 when they are the same amount, positive when
 * `a` is more; `undefined` when either is not a quantity.
 */
export function compareQuantities(a: string, b: string): number | undefined {
  const x = amountOf(a);
  const y = amountOf(b);
  if (x === undefined || y === undefined) return undefined;
  const exponent = Math.min(x.exponent, y.exponent);
  const scaled = (amount: Amount): bigint => amount.mantissa * 10n ** BigInt(amount.exponent - exponent);
  const [p, q] = [scaled(x), scaled(y)];
  return p < q ? -1 : p > q ? 1 : 0;
}
