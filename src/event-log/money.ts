/** Fixed-point scale used for sums: 6 decimal places covers every ISO 4217 minor unit. */
const SCALE = 1_000_000n;

/**
 * A monetary amount as exact decimal text. Accepts Shopify's strings (`"398.00"`) and the pixel's
 * numbers (`32.5`); `undefined` for anything that is not a finite amount.
 */
export function toAmount(value: unknown): string | undefined {
  const simple = typeof value === 'number' ? String(value) : typeof value === 'string' ? value : '';
  // The common case — whole units or cents, e.g. 32, 19.99, "398.00" — needs no arithmetic.
  if (/^-?\d{1,13}(\.\d\d?)?$/.test(simple)) {
    const [whole, fraction = ''] = simple.split('.');
    return `${whole}.${fraction.padEnd(2, '0')}`;
  }
  if (typeof value === 'number') {
    if (!Number.isFinite(value) || Math.abs(value) > 1e12) return undefined;
    return formatScaled(toScaled(String(value))!);
  }
  if (typeof value === 'string' && /^-?\d{1,13}(\.\d{1,6})?$/.test(value.trim()))
    return formatScaled(toScaled(value.trim())!);
  return undefined;
}

/** The sum of `price × quantity` over lines, exactly. */
export function sumLines(lines: readonly { price?: string; quantity: number }[]): string | undefined {
  let cents = 0;
  let exact = true;
  for (const line of lines) {
    if (line.price === undefined) continue;
    // Prices in whole cents (nearly all) sum exactly as integers below 2^53.
    const match = /^(-?\d{1,11})\.(\d\d)$/.exec(line.price);
    if (!match) {
      exact = false;
      break;
    }
    cents +=
      (Number(match[1]) * 100 + (match[1]!.startsWith('-') ? -1 : 1) * Number(match[2])) * line.quantity;
  }
  if (exact && Number.isSafeInteger(cents)) {
    if (!lines.some((l) => l.price !== undefined)) return undefined;
    const sign = cents < 0 ? '-' : '';
    const abs = Math.abs(cents);
    return `${sign}${Math.floor(abs / 100)}.${String(abs % 100).padStart(2, '0')}`;
  }
  let total = 0n;
  let any = false;
  for (const line of lines) {
    if (line.price === undefined) continue;
    total += toScaled(line.price)! * BigInt(line.quantity);
    any = true;
  }
  return any ? formatScaled(total) : undefined;
}

/** The exact sum of two amounts. */
export function addAmounts(a: string, b: string): string {
  return formatScaled(toScaled(a)! + toScaled(b)!);
}

/** Divides an exact amount by a quantity (a line total into a unit price), rounded to 6 places. */
export function divideAmount(amount: string, quantity: number): string {
  if (quantity <= 0) return amount;
  return formatScaled(toScaled(amount)! / BigInt(quantity));
}

function toScaled(text: string): bigint | undefined {
  const match = /^(-?)(\d+)(?:\.(\d+))?(?:e([+-]?\d+))?$/i.exec(text);
  if (!match) return undefined;
  const [, sign, whole, fraction = '', exponent] = match;
  if (exponent !== undefined) return toScaled(Number(text).toFixed(6));
  const scaled = BigInt(whole!) * SCALE + BigInt((fraction + '000000').slice(0, 6));
  return sign === '-' ? -scaled : scaled;
}

function formatScaled(value: bigint): string {
  const negative = value < 0n;
  const abs = negative ? -value : value;
  const whole = abs / SCALE;
  let fraction = (abs % SCALE).toString().padStart(6, '0').replace(/0+$/, '');
  if (fraction.length < 2) fraction = fraction.padEnd(2, '0');
  return `${negative ? '-' : ''}${whole}.${fraction}`;
}
