import { createServer } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { KlaviyoStandIn, type KlaviyoStandInOptions } from '../../src/stand-ins/klaviyo-stand-in.ts';
import { cli } from '../support/cli.ts';

const METRICS = ['Reclaim Browse Abandonment', 'Reclaim Cart Abandonment', 'Reclaim Checkout Abandonment'];

describe('reclaim klaviyo check and test-event', () => {
  let standIn: KlaviyoStandIn | undefined;
  const saved = { ...process.env };

  const start = async (options: KlaviyoStandInOptions = {}, key = KlaviyoStandIn.DEFAULT_KEY) => {
    standIn = new KlaviyoStandIn({ rateLimits: false, ...options });
    const url = await standIn.start();
    Object.assign(process.env, { KLAVIYO_API_KEY: key, KLAVIYO_BASE_URL: url });
    return standIn;
  };

  afterEach(async () => {
    process.env = { ...saved };
    await standIn?.close();
    standIn = undefined;
  });

  it('names the account and the scopes of a good key; no metric yet is a hint, not a failure', async () => {
    await start();
    const { code, stdout, stderr } = await cli('klaviyo', 'check');
    expect(stderr).toBe('');
    expect(code).toBe(0);
    expect(stdout).toContain('Klaviyo Northwind Demo (stand-in) (XyZ123)');
    expect(stdout).toMatch(/scope\s+accounts:read\s+granted/);
    expect(stdout).toMatch(/scope\s+events:write\s+unverified .*reclaim klaviyo test-event/);
    expect(stdout).toMatch(/metric\s+Reclaim Cart Abandonment\s+not in the account yet/);
    expect(stdout).toMatch(/hint\s+no metric "Reclaim Checkout Abandonment" yet/);
  });

  it('test-event sends one marked trigger per stage; check then finds the three metrics', async () => {
    const klaviyo = await start();
    const sent = await cli('klaviyo', 'test-event', '--email', 'owner@northwind.example', '--run-id', 'r1');
    expect(sent.stderr).toBe('');
    expect(sent.code).toBe(0);
    expect(klaviyo.events.map((e) => [e.metric, e.uniqueId])).toEqual([
      [METRICS[0], 'reclaim-test:r1:browse'],
      [METRICS[1], 'reclaim-test:r1:cart'],
      [METRICS[2], 'reclaim-test:r1:checkout'],
    ]);
    for (const e of klaviyo.events) {
      expect(e.properties.reclaim_test).toBe(true);
      expect(e.properties.reclaim_trigger_id).toBe(e.uniqueId);
      expect(e.profile).toEqual({ email: 'owner@northwind.example' });
    }
    expect(sent.stdout).toContain('unique_id reclaim-test:r1:cart to owner@northwind.example');

    const again = await cli('klaviyo', 'test-event', '--email', 'owner@northwind.example', '--run-id', 'r1');
    expect(again.code).toBe(0);
    expect(klaviyo.events).toHaveLength(3);
    expect(klaviyo.duplicatesIgnored).toBe(3);

    const { code, stdout } = await cli('klaviyo', 'check', '--json');
    expect(code).toBe(0);
    const report = JSON.parse(stdout);
    expect(report.metrics.map((m: { name: string; id: string | null }) => [m.name, m.id])).toEqual(
      METRICS.map((name) => [name, klaviyo.metrics.get(name)!.id]),
    );
    expect(report.hints).toEqual(
      METRICS.map((name) => `no flow is triggered by "${name}": build one (docs/klaviyo.md)`),
    );
  });

  it('a test event looks like a real trigger: the same request builder, only the marker differs', async () => {
    const klaviyo = await start();
    expect((await cli('klaviyo', 'test-event')).code).toBe(0);
    const cart = klaviyo.events.find((e) => e.metric === METRICS[1])!;
    expect(cart.profile).toEqual({ email: 'reclaim-test@example.com' });
    expect(Object.keys(cart.properties).sort()).toEqual(
      [
        '$extra',
        'abandoned_at',
        'email_legal_basis',
        'item_count',
        'item_names',
        'items',
        'jurisdiction',
        'locale',
        'native_flow_likely',
        'reclaim_test',
        'reclaim_trigger_id',
        'recovery_url',
        'shop',
        'sms_legal_basis',
        'stage',
      ].sort(),
    );
    expect(cart.uniqueId).toMatch(/^reclaim-test:\d{4}-\d{2}-\d{2}-[0-9a-f]{8}:cart$/);
  });

  it('shows the flows a Reclaim metric triggers, draft or live', async () => {
    const klaviyo = await start();
    klaviyo.seedFlow({ name: 'Reclaim cart recovery', status: 'live', metric: METRICS[1]! });
    klaviyo.seedFlow({ name: 'Reclaim browse (wip)', status: 'draft', metric: METRICS[0]! });
    klaviyo.seedFlow({ name: 'Welcome series', status: 'live', metric: 'Subscribed to List' });
    const { code, stdout } = await cli('klaviyo', 'check');
    expect(code).toBe(0);
    expect(stdout).toMatch(
      /metric\s+Reclaim Cart Abandonment\s+\w{6}: triggers "Reclaim cart recovery" \(live\)\n/,
    );
    expect(stdout).toMatch(
      /metric\s+Reclaim Browse Abandonment\s+\w{6}: triggers "Reclaim browse \(wip\)" \(draft, sends nothing\)/,
    );
    expect(stdout).toMatch(/hint\s+no live flow is triggered by "Reclaim Browse Abandonment"/);
    expect(stdout).not.toContain('Welcome series');

    const json = JSON.parse((await cli('klaviyo', 'check', '--json')).stdout);
    expect(json.metrics[1].flows).toEqual([
      { id: expect.any(String), name: 'Reclaim cart recovery', status: 'live', archived: false },
    ]);
  });

  it('names a missing scope and what it disables, and exits 1', async () => {
    await start(
      { apiKeys: { pk_no_flows: ['accounts:read', 'events:write', 'metrics:read'] } },
      'pk_no_flows',
    );
    const { code, stdout, stderr } = await cli('klaviyo', 'check');
    expect(code).toBe(1);
    expect(stdout).toMatch(
      /scope\s+flows:read\s+MISSING check cannot list the flows the Reclaim metrics trigger, nor whether they are live/,
    );
    expect(stdout).toMatch(/problem\s+the key lacks flows:read/);
    expect(stderr).toBe(
      'reclaim klaviyo: 1 problem found; the lines marked MISSING say what each one disables\n',
    );
  });

  it('a key without Events access: no trigger is delivered, and test-event says so', async () => {
    await start(
      { apiKeys: { pk_read_only: ['accounts:read', 'metrics:read', 'flows:read'] } },
      'pk_read_only',
    );
    const checked = await cli('klaviyo', 'check', '--json');
    expect(checked.code).toBe(1);
    const events = JSON.parse(checked.stdout).scopes.find(
      (s: { scope: string }) => s.scope === 'events:write',
    );
    expect(events).toMatchObject({
      state: 'missing',
      disables: expect.stringMatching(/^no abandonment trigger reaches Klaviyo/),
    });

    const sent = await cli('klaviyo', 'test-event');
    expect(sent.code).toBe(1);
    expect(sent.stderr).toBe(
      'reclaim klaviyo: the key lacks events:write: no trigger reaches Klaviyo; create a key with Events full access (docs/klaviyo.md)\n',
    );
  });

  it('a wrong or revoked key: one line, exit 78', async () => {
    await start({}, 'pk_revoked');
    const { code, stderr } = await cli('klaviyo', 'check');
    expect(code).toBe(78);
    expect(stderr).toBe(
      'reclaim klaviyo: Klaviyo refused KLAVIYO_API_KEY (401): the key is wrong or was revoked; create a private API key in Klaviyo (Settings → API keys) and set KLAVIYO_API_KEY to it\n',
    );
    expect((await cli('klaviyo', 'test-event')).code).toBe(78);
  });

  it('no key: exit 78 naming the variable', async () => {
    delete process.env.KLAVIYO_API_KEY;
    const { code, stderr } = await cli('klaviyo', 'check');
    expect(code).toBe(78);
    expect(stderr).toBe('reclaim klaviyo: KLAVIYO_API_KEY is not set: Reclaim sends nothing to Klaviyo\n');
  });

  it('waits as Retry-After asks, and exits 69 when Klaviyo keeps throttling', async () => {
    const klaviyo = await start();
    klaviyo.readFaults.failNext({ status: 429, retryAfter: 1 });
    const waited = await cli('klaviyo', 'check');
    expect(waited.code).toBe(0);

    klaviyo.readFaults.failNext({ status: 429, retryAfter: 0 }, 3);
    const { code, stderr } = await cli('klaviyo', 'check');
    expect(code).toBe(69);
    expect(stderr).toMatch(
      /^reclaim klaviyo: Klaviyo is throttling this account’s API calls \(429\) even after waiting as asked;.*\n$/,
    );
  });

  it('Klaviyo unreachable: one line, exit 69', async () => {
    const port = await closedPort();
    Object.assign(process.env, {
      KLAVIYO_API_KEY: KlaviyoStandIn.DEFAULT_KEY,
      KLAVIYO_BASE_URL: `http://127.0.0.1:${port}`,
    });
    const { code, stderr } = await cli('klaviyo', 'check');
    expect(code).toBe(69);
    expect(stderr).toMatch(
      /^reclaim klaviyo: Klaviyo could not be reached or failed \(connection failed \(ECONNREFUSED\)\); check KLAVIYO_BASE_URL/,
    );
  });

  it('unknown subcommands and bad options are usage errors', async () => {
    expect((await cli('klaviyo', 'setup', '--flow', 'not/an id')).code).toBe(2);
    expect((await cli('klaviyo', 'results', '--from', '01/10/2026')).code).toBe(2);
    expect((await cli('klaviyo', 'nope')).code).toBe(2);
    expect((await cli('klaviyo', 'test-event', '--email', 'not-an-address')).code).toBe(2);
  });
});

/** A loopback port nothing listens on. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}
