import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cli } from '../support/cli.ts';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MIGRATIONS } from '../../src/store/migrations/index.ts';

describe('the reclaim CLI', () => {
  let dir: string;
  const saved = { ...process.env };
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'reclaim-cli-'));
    process.env.RECLAIM_DATABASE_URL = `sqlite:${join(dir, 'r.sqlite')}`;
  });
  afterEach(() => {
    process.env = { ...saved };
    rmSync(dir, { recursive: true, force: true });
  });

  it('lists its commands with --help and exits 0', async () => {
    const r = await cli('--help');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/serve\s+Run the server/);
    expect(r.stdout).toMatch(/migrate\s+Apply pending/);
  });

  it('shows help for one command', async () => {
    const r = await cli('migrate', '--help');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('Usage: reclaim migrate');
  });

  it('exits 2 on an unknown command or option', async () => {
    expect((await cli('frobnicate')).code).toBe(2);
    const r = await cli('migrate', '--fast');
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("Unknown option '--fast'");
  });

  it('migrates once, then reports the database up to date', async () => {
    const first = await cli('migrate');
    expect(first.code).toBe(0);
    expect(first.stdout).toContain(`applied ${Object.keys(MIGRATIONS).length} migration(s)`);
    for (const name of Object.keys(MIGRATIONS)) expect(first.stdout).toContain(name);
    const second = await cli('migrate');
    expect(second.stdout).toBe('database is up to date\n');
  });

  it('prints the effective config with secrets masked, environment winning over the file', async () => {
    process.env.RECLAIM_ADMIN_TOKEN = 'a-very-secret-admin-token';
    process.env.SHOPIFY_WEBHOOK_SECRET = 'old-secret,new-secret';
    process.env.RECLAIM_CART_AFTER = '45s';
    const r = await cli('config', 'print');
    expect(r.code).toBe(0);
    const printed = JSON.parse(r.stdout);
    expect(printed.adminToken).toBe('********');
    expect(printed.shopify.webhookSecrets).toEqual(['********', '********']);
    expect(printed.journeys.cartAfter).toBe(45_000);
    expect(r.stdout).not.toContain('secret-admin');
  });

  it('warns, one line each, about a misspelt variable and names the one meant, without failing', async () => {
    process.env.RECLAIM_DATABSE_URL = 'sqlite:/somewhere/else.sqlite';
    process.env.KLAVIYO_APIKEY = 'pk_a-secret-key';
    process.env.RECLAIM_CART_AFTER = '45s';
    const r = await cli('config', 'print');
    expect(r.code).toBe(0);
    expect(r.stderr.split('\n').filter((line) => line.includes('warning'))).toEqual([
      'reclaim: warning: KLAVIYO_APIKEY is not a variable Reclaim reads and is ignored; did you mean KLAVIYO_API_KEY?',
      'reclaim: warning: RECLAIM_DATABSE_URL is not a variable Reclaim reads and is ignored; did you mean RECLAIM_DATABASE_URL?',
    ]);
    expect(r.stderr).not.toContain('a-secret-key');
    expect(JSON.parse(r.stdout).journeys.cartAfter).toBe(45_000);
  });

  it('exits 78 on invalid config and hides the stack unless --debug', async () => {
    process.env.RECLAIM_IDENTITY_LOOKBACK = 'forever';
    const plain = await cli('config', 'print');
    expect(plain.code).toBe(78);
    expect(plain.stderr).not.toContain('    at ');
    const debug = await cli('config', 'print', '--debug');
    expect(debug.stderr).toContain('    at ');
  });
});
