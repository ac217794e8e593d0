import { describe, expect, it } from 'vitest';
import { findHostileValue, parseJsonExact } from '../../src/server/json-body.ts';

describe('parseJsonExact', () => {
  it('keeps 18-digit ids that JSON.parse would round', () => {
    const text =
      '{"id":820982911946154508,"n":[-1234567890123456789,12.5,3e5],"s":"820982911946154508 \\" 1234567890123456789"}';
    expect(JSON.parse(text).id).toBe(820982911946154500);
    expect(parseJsonExact(text)).toEqual({
      id: '820982911946154508',
      n: ['-1234567890123456789', 12.5, 3e5],
      s: '820982911946154508 " 1234567890123456789',
    });
  });

  it('leaves safe numbers as numbers', () => {
    expect(parseJsonExact(Buffer.from('{"a":450789469,"b":398.00}'))).toEqual({ a: 450789469, b: 398 });
  });
});

describe('findHostileValue', () => {
  it('finds prototype-pollution keys', () => {
    expect(findHostileValue(JSON.parse('{"a":{"__proto__":{"x":1}}}'), 32)).toEqual({
      path: 'a.__proto__',
      reason: 'key "__proto__" is not allowed',
    });
  });

  it('finds nesting beyond the limit without recursion', () => {
    let deep: unknown = 1;
    for (let i = 0; i < 100_000; i++) deep = [deep];
    expect(findHostileValue(deep, 32)?.reason).toBe('nested deeper than 32 levels');
  });

  it('accepts ordinary payloads', () => {
    expect(findHostileValue({ a: [{ b: { c: 'constructor-like value' } }] }, 32)).toBeUndefined();
  });
});
