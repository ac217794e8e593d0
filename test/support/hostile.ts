/**
 * Names that a plain object answers for without holding them: a table looked up with one of these as
 * the key finds `Object.prototype`'s member (or the prototype itself) instead of nothing.
 */
export const PROTOTYPE_NAMES = [
  '__proto__',
  'constructor',
  'toString',
  'valueOf',
  'hasOwnProperty',
  '__defineGetter__',
  'isPrototypeOf',
  'prototype',
] as const;
