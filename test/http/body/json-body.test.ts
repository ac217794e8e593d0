import { describe, expect, it } from 'vitest';
import { inspectValue, parseJsonExact } from '../../../src/http/body/json-body.ts';

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

describe('inspectValue', () => {
  it('finds prototype-pollution keys', () => {
    expect(inspectValue(JSON.parse('{"a":{"__proto__":{"x":1}}}'), 32).problem).toEqual({
      path: 'a.__proto__',
      reason: 'key "__proto__" is not allowed',
    });
  });

  it('finds nesting beyond the limit without recursion', () => {
    let deep: unknown = 1;
    for (let i = 0; i < 100_000; i++) deep = [deep];
    expect(inspectValue(deep, 32).problem?.reason).toBe('nested deeper than 32 levels');
  });

  it('accepts ordinary payloads', () => {
    expect(inspectValue({ a: [{ b: { c: 'constructor-like value' } }] }, 32).problem).toBeUndefined();
  });

  it('estimates the JSON size without serialising', () => {
    const value = { a: 'x'.repeat(1000), b: [{ c: 'yy' }], d: 12 };
    const { size } = inspectValue(value, 32);
    expect(size).toBeGreaterThanOrEqual(JSON.stringify(value).length);
    expect(size).toBeLessThan(JSON.stringify(value).length * 1.2);
  });
});
