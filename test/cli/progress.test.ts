import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { progress } from '../../src/cli/progress.ts';

class Screen extends Writable {
  text = '';
  constructor(readonly isTTY: boolean) {
    super();
  }
  override _write(chunk: Buffer, _e: string, done: () => void) {
    this.text += chunk.toString();
    done();
  }
}

describe('progress of long work', () => {
  it('redraws one bar in place on a terminal, with the rate and the time left', () => {
    let now = 0;
    const screen = new Screen(true);
    const shown = progress({ label: 'replaying', unit: 'requests', stream: screen, now: () => now });
    shown.update(0, 1000);
    now = 2000;
    shown.update(500, 1000);
    now = 2050; // too soon to redraw
    shown.update(510, 1000);
    now = 4000;
    shown.update(1000, 1000);
    shown.finish();
    const frames = screen.text.split('\r').filter(Boolean);
    expect(frames).toHaveLength(4);
    expect(frames[1]).toBe(
      'replaying [############------------]  50% 500/1,000 requests, 250/s, ETA 2s\u001b[K',
    );
    expect(frames[3]).toMatch(
      /^replaying \[#{24}\] 100% 1,000\/1,000 requests, 250\/s, done in 4s\u001b\[K\n$/,
    );
    expect(screen.text.split('\n')).toHaveLength(2);
  });

  it('writes a plain line every few seconds anywhere else', () => {
    let now = 0;
    const log = new Screen(false);
    const shown = progress({
      label: 'simulating',
      unit: 'shoppers',
      stream: log,
      now: () => now,
      lineEvery: 5000,
    });
    for (let done = 0; done <= 100; done += 10) {
      shown.update(done, 100);
      now += 1000;
    }
    shown.finish();
    const lines = log.text.trim().split('\n');
    expect(lines).toEqual([
      'simulating: 0% (0/100 shoppers, 0/s, ETA –)',
      'simulating: 50% (50/100 shoppers, 10/s, ETA 5s)',
      'simulating: 100% (100/100 shoppers, 10/s, done in 10s)',
      'simulating: 100% (100/100 shoppers, 9/s, done in 11s)',
    ]);
  });
});
