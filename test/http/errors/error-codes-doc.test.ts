import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ERROR_CODES } from '../../../src/http/errors/error-codes.ts';

describe('docs/errors.md', () => {
  const doc = readFileSync(new URL('../../../docs/errors.md', import.meta.url), 'utf8');
  const rows = [...doc.matchAll(/^\| `(RECLAIM_ERR_[A-Z_]+)` \| (\d{3}) \|/gm)].map((m) => [
    m[1],
    Number(m[2]),
  ]);

  it('lists exactly the codes the API answers with, with their statuses', () => {
    const fromCode = Object.entries(ERROR_CODES).map(([code, { status }]) => [code, status]);
    expect(rows.sort()).toEqual(fromCode.sort());
  });
});
