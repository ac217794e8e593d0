import { apiError } from './api-error.ts';

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** Digits in the integer part beyond which a JSON number may not survive as a JavaScript number. */
const UNSAFE_INTEGER = /\d{16,}/;

/**
 * Parses a JSON body exactly: integers too long for a double (Shopify's 18-digit ids) become strings
 * with every digit, instead of silently losing precision as `JSON.parse` does. Rejects invalid UTF-8.
 */
export function parseJsonExact(bytes: Buffer | string): unknown {
  let text: string;
  try {
    text = typeof bytes === 'string' ? bytes : utf8.decode(bytes);
  } catch {
    throw apiError('RECLAIM_ERR_MALFORMED_JSON', 'body is not valid UTF-8');
  }
  if (UNSAFE_INTEGER.test(text)) text = quoteLongIntegers(text);
  try {
    return JSON.parse(text);
  } catch (error) {
    const reason = error instanceof Error ? error.message : 'unreadable';
    throw apiError('RECLAIM_ERR_MALFORMED_JSON', `body is not valid JSON: ${reason}`);
  }
}

/** Wraps bare integer literals of 16+ digits (outside strings) in quotes; leaves everything else byte-for-byte. */
function quoteLongIntegers(text: string): string {
  let out = '';
  let copiedTo = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 92 /* \ */) i++;
      else if (c === 34 /* " */) inString = false;
      continue;
    }
    if (c === 34) {
      inString = true;
      continue;
    }
    const startsNumber = c === 45 /* - */ || (c >= 48 && c <= 57);
    if (!startsNumber) continue;
    let end = i + 1;
    while (end < text.length && isNumberChar(text.charCodeAt(end))) end++;
    const literal = text.slice(i, end);
    if (/^-?\d{16,}$/.test(literal)) {
      out += text.slice(copiedTo, i) + '"' + literal + '"';
      copiedTo = end;
    }
    i = end - 1;
  }
  return out + text.slice(copiedTo);
}

function isNumberChar(c: number): boolean {
  return (c >= 48 && c <= 57) || c === 46 || c === 101 || c === 69 || c === 43 || c === 45;
}

/** Keys that must never reach an object merge. */
const FORBIDDEN_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

/**
 * Rejects values nested deeper than `maxDepth` or carrying prototype-pollution keys, walking the tree
 * without recursion. Returns the path of the first problem, or undefined when the value is safe.
 */
export function findHostileValue(
  value: unknown,
  maxDepth: number,
): { path: string; reason: string } | undefined {
  const stack: { value: unknown; depth: number; path: string }[] = [{ value, depth: 0, path: '' }];
  while (stack.length > 0) {
    const item = stack.pop()!;
    if (typeof item.value !== 'object' || item.value === null) continue;
    if (item.depth >= maxDepth) return { path: item.path, reason: `nested deeper than ${maxDepth} levels` };
    for (const [key, child] of Object.entries(item.value)) {
      const path = item.path ? `${item.path}.${key}` : key;
      if (FORBIDDEN_KEYS.has(key)) return { path, reason: `key "${key}" is not allowed` };
      if (typeof child === 'object' && child !== null)
        stack.push({ value: child, depth: item.depth + 1, path });
    }
  }
  return undefined;
}
