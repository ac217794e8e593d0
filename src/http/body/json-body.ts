import { isUtf8 } from 'node:buffer';
import { apiError } from '../errors/api-error.ts';

/** Digits in the integer part beyond which a JSON number may not survive as a JavaScript number. */
const UNSAFE_INTEGER = /\d{16,}/;

/**
 * Parses a JSON body exactly: integers too long for a double (Shopify's 18-digit ids) become strings
 * with every digit, instead of silently losing precision as `JSON.parse` does. Rejects invalid UTF-8.
 */
export function parseJsonExact(bytes: Buffer | string): unknown {
  if (typeof bytes !== 'string' && !isUtf8(bytes))
    throw apiError('RECLAIM_ERR_MALFORMED_JSON', 'body is not valid UTF-8');
  let text = typeof bytes === 'string' ? bytes : bytes.toString('utf8');
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

export interface Inspection {
  /** The first problem found, with the path to it; undefined when the value is safe. */
  problem?: { path: string; reason: string };
  /** Approximate size of the value as JSON, in characters (keys and strings plus punctuation). */
  size: number;
}

interface Frame {
  value: object;
  depth: number;
  parent: Frame | undefined;
  key: string;
}

/**
 * Walks a parsed body once, without recursion: refuses nesting deeper than `maxDepth` and
 * prototype-pollution keys, and estimates the JSON size (so per-message size limits need no
 * re-serialisation). Paths are only built for the problem found.
 */
export function inspectValue(value: unknown, maxDepth: number): Inspection {
  if (typeof value !== 'object' || value === null)
    return { size: typeof value === 'string' ? value.length + 2 : 8 };
  const stack: Frame[] = [{ value, depth: 0, parent: undefined, key: '' }];
  let size = 0;
  while (stack.length > 0) {
    const frame = stack.pop()!;
    if (frame.depth >= maxDepth)
      return { problem: { path: pathOf(frame), reason: `nested deeper than ${maxDepth} levels` }, size };
    const node = frame.value as Record<string, unknown>;
    size += 2;
    for (const key in node) {
      if (FORBIDDEN_KEYS.has(key)) {
        return {
          problem: {
            path: pathOf({ value: node, depth: 0, parent: frame, key }),
            reason: `key "${key}" is not allowed`,
          },
          size,
        };
      }
      const child = node[key];
      size += key.length + 4;
      if (typeof child === 'string') size += child.length;
      else if (typeof child === 'object' && child !== null)
        stack.push({ value: child, depth: frame.depth + 1, parent: frame, key });
      else size += 6;
    }
  }
  return { size };
}

function pathOf(frame: Frame): string {
  const keys: string[] = [];
  for (let f: Frame | undefined = frame; f?.parent; f = f.parent) keys.push(f.key);
  return keys.reverse().join('.');
}
