import { describe, expect, it } from 'vitest';
import { parseIsoTime } from '../../src/runtime/iso-time.ts';

describe('parseIsoTime', () => {
  it('reads ISO-8601 dates as UTC midnight and date-times with their offset', () => {
    expect(parseIsoTime('2026-10-01')).toEqual({ ok: true, ms: Date.UTC(2026, 9, 1), dateOnly: true });
    expect(parseIsoTime('2026-10-01T09:30:00Z')).toEqual({
      ok: true,
      ms: Date.UTC(2026, 9, 1, 9, 30),
      dateOnly: false,
    });
    expect(parseIsoTime('2026-10-01T11:30+02:00')).toMatchObject({ ms: Date.UTC(2026, 9, 1, 9, 30) });
    expect(parseIsoTime('2026-10-01T09:30:00.250Z')).toMatchObject({
      ms: Date.UTC(2026, 9, 1, 9, 30, 0, 250),
    });
  });

  it('refuses what Date.parse would guess at', () => {
    for (const text of [
      '01/10/2026',
      '10/01/2026',
      '1 Oct 2026',
      'October 1, 2026',
      '2026/10/01',
      '2026-10-01T09:30:00',
      '2026-10-01 09:30:00Z',
      '2026-02-30',
      '2026-13-01',
      '2026-10-01T24:00:00Z',
      '1790812800000',
      'yesterday',
      '',
    ])
      expect(parseIsoTime(text), text).toEqual({ ok: false });
  });
});
