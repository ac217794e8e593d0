import { once } from 'node:events';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runReclaim, startReclaimProcess } from '../support/process.ts';

describe('reclaim simulate, score and demo (real processes)', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'reclaim-simulate-cli-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('simulates, then scores with a table, a JSON file and plain progress lines', async () => {
    const out = join(dir, 'sim');
    const sim = await runReclaim([
      'simulate',
      '--shoppers',
      '120',
      '--days',
      '7',
      '--seed',
      'cli',
      '--out',
      out,
    ]);
    expect(sim.code).toBe(0);
    expect(sim.stdout).toMatch(
      /^120 shoppers of eu-fashion over 7 days \(seed cli, lookback 100d\): [\d,]+ requests/,
    );
    expect(sim.stderr).toMatch(/simulating: 100% \(120\/120 shoppers/);
    const scored = await runReclaim(['score', out]);
    expect(scored.code).toBe(0);
    expect(scored.stdout).toMatch(/^\s+stage\s+episodes\s+reachable\s+reached\s+recall/);
    expect(scored.stdout).toMatch(/\n\s+all(\s+\S+){7}\s+0\s+0\s+0\s+0\s/);
    expect(scored.stderr).toMatch(/replaying: 100% \([\d,]+\/[\d,]+ requests/);
    const json = JSON.parse(readFileSync(join(out, 'scores.json'), 'utf8'));
    expect(json.simulation).toMatchObject({ profile: 'eu-fashion', seed: 'cli', shoppers: 120 });
    expect(json.overall.wrongPerson).toBe(0);
  }, 120_000);

  it('scores an install that began with the period, without and with the customer base imported', async () => {
    const out = join(dir, 'sim');
    const compared = await runReclaim(['score', out, '--compare-import']);
    expect(compared.code).toBe(0);
    expect(compared.stdout).toMatch(
      /^Reclaim installed as the period began, without and with the customer base/,
    );
    expect(compared.stdout).toMatch(/\n\s+stage\s+episodes\s+reachable\s+w\/ import\s+added\s+reached/);
    expect(compared.stdout).toMatch(/\n\s+all(\s+\S+){8}\s+0\n/);
    expect(compared.stdout).toMatch(/imported: customers \d+ lines \(\d+ events\), orders \d+ lines/);
    const dayOne = JSON.parse(readFileSync(join(out, 'scores-day-one.json'), 'utf8'));
    const imported = JSON.parse(readFileSync(join(out, 'scores-day-one-import.json'), 'utf8'));
    expect(dayOne.install).toBe('day_one');
    expect(imported.install).toBe('day_one_import');
    expect(imported.overall.reachable).toBeGreaterThan(dayOne.overall.reachable);
    const both = await runReclaim(['score', out, '--import', '--day-one']);
    expect(both.code).toBe(2);
    expect(both.stderr).toContain('choose one of --day-one, --import and --compare-import');
  }, 300_000);

  it('refuses what it cannot do, with exit code 2 and a reason', async () => {
    const missing = await runReclaim(['score', join(dir, 'nothing-here')]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('holds no simulation');
    const profile = await runReclaim(['simulate', '--profile', 'moon-shop', '--out', join(dir, 'x')]);
    expect(profile.code).toBe(2);
    expect(profile.stderr).toContain('--profile must be one of eu-fashion, us-beauty');
    const shoppers = await runReclaim(['simulate', '--shoppers', '0']);
    expect(shoppers.code).toBe(2);
    expect(existsSync(join(dir, 'x'))).toBe(false);
  });

  it('runs the demo from nothing and serves the admin API until SIGTERM', async () => {
    const token = 'demo-admin-token-0123456789';
    const demo = await startReclaimProcess(
      ['demo', '--shoppers', '150', '--days', '5'],
      { RECLAIM_ADMIN_TOKEN: token },
      dir,
      /Reclaim is serving the demo at (http:\/\/[\d.:]+)/,
    );
    expect(demo.stdout()).toMatch(/Gap report 2026-10-01 – 2026-10-05/);
    expect(demo.stdout()).toMatch(/abandoned\s+\d+\s+\d+\s+\d+\s+\d+/);
    // Before the month: setup's drafts beside the native flows, set live in the marketer's review step.
    expect(demo.stdout()).toMatch(/setup created 3 draft flows beside them/);
    expect(demo.stdout()).toMatch(/review step: 3 Reclaim flows set live/);
    // It ends with Klaviyo's own flow report: native and Reclaim rows per stage, both with recipients.
    const table = demo.stdout().slice(demo.stdout().lastIndexOf('Klaviyo flow results'));
    expect(table).toMatch(/^Klaviyo flow results 2026-10-01T00:00:00\.000Z to 2026-10-06T00:00:00\.000Z/);
    const recipients = (flow: string) =>
      [...table.matchAll(new RegExp(`^(?:browse|cart|checkout)\\s+${flow}\\s+(\\d+)`, 'gm'))].map((m) =>
        Number(m[1]),
      );
    expect(recipients('native')).toHaveLength(3);
    expect(recipients('reclaim')).toHaveLength(3);
    expect(Math.max(...recipients('native'))).toBeGreaterThan(0);
    expect(Math.max(...recipients('reclaim'))).toBeGreaterThan(0);
    // A Reclaim flow's recipients never exceed the triggers Reclaim sent for that stage.
    for (const m of table.matchAll(
      /^(\w+)\s+reclaim\s+(\d+)[^\n]*\n\1\s+uplift[^\n]*Reclaim sent (\d+) trigger/gm,
    ))
      expect(Number(m[2])).toBeLessThanOrEqual(Number(m[3]));
    expect(table.trimEnd().split('\n').at(-1)).toMatch(/^pair\s+checkout/);
    const res = await fetch(`${demo.url}/admin/v1/reports/gap?from=2026-10-01&to=2026-10-05`, {
      headers: { authorization: `Bearer ${token}` },
    });
    expect(res.status).toBe(200);
    const report = (await res.json()) as { total: { abandoned: number; reclaimSent: number } };
    expect(report.total.abandoned).toBeGreaterThan(0);
    expect(report.total.reclaimSent).toBeGreaterThan(0);
    const triggers = await fetch(`${demo.url}/admin/v1/triggers?limit=3`, {
      headers: { authorization: `Bearer ${token}` },
    });
    expect(((await triggers.json()) as { triggers: unknown[] }).triggers).toHaveLength(3);
    expect(existsSync(join(dir, 'data', 'demo', 'reclaim.sqlite'))).toBe(true);
    demo.child.kill('SIGTERM');
    expect(await demo.exited).toBe(0);

    // The command the demo prints shows its report again, from anywhere: not the default database's zeros.
    const printed = /^ {2}RECLAIM_DATABASE_URL=(\S+) npx reclaim report gap --from (\S+) --to (\S+)$/m.exec(
      demo.stdout(),
    );
    expect(printed).not.toBeNull();
    const [, databaseUrl, from, to] = printed!;
    const again = await runReclaim(['report', 'gap', '--from', from!, '--to', to!], {
      RECLAIM_DATABASE_URL: databaseUrl!,
    });
    expect(again.code).toBe(0);
    expect(again.stdout).toContain('Gap report 2026-10-01 – 2026-10-05');
    const abandoned = /^abandoned(?:\s+([\d,]+)){4}$/m.exec(again.stdout);
    expect(Number(abandoned?.[1]?.replaceAll(',', ''))).toBe(report.total.abandoned);
    expect(report.total.abandoned).toBeGreaterThan(0);
  }, 120_000);

  it('exits 69 when the demo cannot serve because the port is taken', async () => {
    const occupant = createServer();
    occupant.listen(0, '127.0.0.1');
    await once(occupant, 'listening');
    try {
      const port = String((occupant.address() as AddressInfo).port);
      const demo = await runReclaim(
        ['demo', '--shoppers', '20', '--days', '2'],
        { PORT: port, HOST: '127.0.0.1' },
        dir,
        60_000,
      );
      expect(demo.stderr).toContain('reclaim demo: port is already in use');
      expect(demo.code).toBe(69);
    } finally {
      occupant.close();
    }
  }, 90_000);
});
