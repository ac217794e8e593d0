import { afterEach, describe, expect, it } from 'vitest';
import { KlaviyoStandIn, type KlaviyoStandInOptions } from '../../src/stand-ins/klaviyo-stand-in.ts';
import { cli } from '../support/cli.ts';

const RECLAIM = {
  browse: 'Reclaim Browse Abandonment',
  cart: 'Reclaim Cart Abandonment',
  checkout: 'Reclaim Checkout Abandonment',
};

interface Condition {
  type: string;
  metric_id?: string;
  field?: string;
  filter?: unknown;
  timeframe_filter?: unknown;
  metric_filters?: unknown;
  measurement_filter?: unknown;
}
interface Definition {
  triggers: {
    type: string;
    id: string;
    trigger_filter: { condition_groups: { conditions: Condition[] }[] };
  }[];
  profile_filter: { condition_groups: { conditions: Condition[] }[] };
  actions: { id: string; type: string; links: { next: string | null }; data: Record<string, unknown> }[];
  entry_action_id: string;
}

describe('reclaim klaviyo setup', () => {
  let standIn: KlaviyoStandIn | undefined;
  const saved = { ...process.env };

  /** An account with the Shopify integration's metrics, three live native flows and the Reclaim metrics. */
  const start = async (options: KlaviyoStandInOptions = {}, { reclaimMetrics = true } = {}) => {
    standIn = new KlaviyoStandIn({ rateLimits: false, ...options });
    const url = await standIn.start();
    Object.assign(process.env, { KLAVIYO_API_KEY: KlaviyoStandIn.DEFAULT_KEY, KLAVIYO_BASE_URL: url });
    for (const name of ['Placed Order', 'Received Email', 'Received SMS']) standIn.seedMetric(name);
    if (reclaimMetrics) for (const name of Object.values(RECLAIM)) standIn.seedMetric(name);
    const natives = {
      browse: standIn.seedFlow({ name: 'Browse Abandonment', status: 'live', metric: 'Viewed Product' }),
      cart: standIn.seedFlow({ name: 'Abandoned Cart Reminder', status: 'live', metric: 'Added to Cart' }),
      checkout: standIn.seedFlow({ name: 'Abandoned Checkout', status: 'live', metric: 'Started Checkout' }),
    };
    standIn.seedFlow({ name: 'Welcome Series', status: 'live', metric: 'Subscribed to List' });
    return { klaviyo: standIn, natives };
  };
  const posts = (path: string) => standIn!.requests.filter((r) => r.path === path).length;

  afterEach(async () => {
    process.env = { ...saved };
    await standIn?.close();
    standIn = undefined;
  });

  it('creates a draft Reclaim flow beside each native flow, with its messages and the dedup filters, and a segment', async () => {
    const { klaviyo, natives } = await start();
    const before = structuredClone(klaviyo.flows);
    const { code, stdout, stderr } = await cli('klaviyo', 'setup');
    expect(stderr).toBe('');
    expect(code).toBe(0);

    const created = klaviyo.flows.filter((f) => f.viaApi);
    expect(created.map((f) => f.name).sort()).toEqual(
      [
        `Reclaim · Abandoned Cart Reminder [beside ${natives.cart.id}]`,
        `Reclaim · Abandoned Checkout [beside ${natives.checkout.id}]`,
        `Reclaim · Browse Abandonment [beside ${natives.browse.id}]`,
      ].sort(),
    );
    // The merchant's flows are exactly as they were: nothing edited, nothing activated.
    expect(klaviyo.flows.filter((f) => !f.viaApi)).toEqual(before);

    for (const stage of ['browse', 'cart', 'checkout'] as const) {
      const native = natives[stage];
      const flow = created.find((f) => f.name.endsWith(`[beside ${native.id}]`))!;
      expect(flow.status).toBe('draft');
      expect(flow.metricId).toBe(klaviyo.metrics.get(RECLAIM[stage])!.id);
      const definition = flow.definition as unknown as Definition;
      const nativeDefinition = native.definition as unknown as Definition;
      // Same messages and timing, every message a draft.
      expect(definition.actions.map((a) => a.type)).toEqual(nativeDefinition.actions.map((a) => a.type));
      expect(definition.actions.filter((a) => a.type === 'time-delay').map((a) => a.data)).toEqual(
        nativeDefinition.actions.filter((a) => a.type === 'time-delay').map((a) => a.data),
      );
      const emails = definition.actions.filter((a) => a.type === 'send-email');
      expect(emails.map((a) => (a.data.message as { subject_line: string }).subject_line)).toEqual(
        nativeDefinition.actions
          .filter((a) => a.type === 'send-email')
          .map((a) => (a.data.message as { subject_line: string }).subject_line),
      );
      expect(emails.map((a) => a.data.status)).toEqual(['draft', 'draft']);
      expect(definition.entry_action_id).toBe(definition.actions[0]!.id);
      expect(definition.actions[0]!.links.next).toBe(definition.actions[1]!.id);

      const trigger = definition.triggers[0]!.trigger_filter.condition_groups.flatMap((g) => g.conditions);
      expect(trigger).toEqual([
        expect.objectContaining({
          field: 'native_flow_likely',
          filter: { type: 'boolean', operator: 'equals', value: false },
        }),
        expect.objectContaining({
          field: 'reclaim_test',
          filter: { type: 'existence', operator: 'not-set' },
        }),
      ]);
      const profile = definition.profile_filter.condition_groups.flatMap((g) => g.conditions);
      expect(profile).toContainEqual(
        expect.objectContaining({
          metric_id: klaviyo.metrics.get('Placed Order')!.id,
          measurement_filter: { type: 'numeric', operator: 'equals', value: 0 },
          timeframe_filter: { type: 'date', operator: 'flow-start' },
        }),
      );
      expect(profile).toContainEqual(
        expect.objectContaining({
          metric_id: klaviyo.metrics.get('Received Email')!.id,
          metric_filters: [
            { property: '$flow', filter: { type: 'string', operator: 'equals', value: native.id } },
          ],
        }),
      );
    }
    expect(klaviyo.segments.map((s) => s.name).sort()).toEqual(
      created.map((f) => f.name.replace('Reclaim ·', 'Reclaim only ·')).sort(),
    );
    expect(stdout).toMatch(
      /created\s+flow\s+"Reclaim · Abandoned Cart Reminder \[beside \w+\]" \(\w+\), a draft/,
    );
    expect(stdout).toMatch(/review\s+"Reclaim · Abandoned Cart Reminder .*its first wait \(4 hours\)/);
    expect(stdout).toMatch(/by hand\s+in the native flow "Abandoned Cart Reminder" add the flow filter/);
  });

  it('a rerun creates nothing and says the objects exist', async () => {
    const { klaviyo } = await start();
    expect((await cli('klaviyo', 'setup')).code).toBe(0);
    const flows = posts('/api/flows');
    const segments = posts('/api/segments');
    expect([flows, segments]).toEqual([3, 3]);

    const again = await cli('klaviyo', 'setup', '--json');
    expect(again.code).toBe(0);
    const report = JSON.parse(again.stdout);
    expect(report.created).toEqual([]);
    expect(report.existing).toHaveLength(6);
    expect([posts('/api/flows'), posts('/api/segments')]).toEqual([3, 3]);
    expect(klaviyo.flows.filter((f) => f.viaApi)).toHaveLength(3);
  });

  it('--flow names the native flow: only that one gets a Reclaim flow', async () => {
    const { klaviyo, natives } = await start();
    const { code } = await cli('klaviyo', 'setup', '--flow', natives.checkout.id);
    expect(code).toBe(0);
    expect(klaviyo.flows.filter((f) => f.viaApi).map((f) => f.metricId)).toEqual([
      klaviyo.metrics.get(RECLAIM.checkout)!.id,
    ]);
    const unknown = await cli('klaviyo', 'setup', '--flow', 'NoSuch');
    expect(unknown.code).toBe(1);
    expect(unknown.stdout).toMatch(/problem\s+no flow NoSuch in the account/);
  });

  it('without the Reclaim metrics it says to run test-event and creates nothing', async () => {
    const { klaviyo } = await start({}, { reclaimMetrics: false });
    const { code, stdout } = await cli('klaviyo', 'setup');
    expect(code).toBe(1);
    expect(stdout).toMatch(
      /problem\s+no metric "Reclaim Cart Abandonment" in the account yet.*run reclaim klaviyo test-event/,
    );
    expect(klaviyo.flows.filter((f) => f.viaApi)).toEqual([]);
  });

  it('check shows the scopes setup needs; a key made only for sending still passes, with a hint', async () => {
    const key = 'pk_sending_only';
    await start({
      apiKeys: {
        [key]: ['accounts:read', 'metrics:read', 'flows:read', 'events:write', 'data-privacy:write'],
      },
    });
    process.env.KLAVIYO_API_KEY = key;
    const { code, stdout } = await cli('klaviyo', 'check');
    expect(code).toBe(0);
    expect(stdout).toMatch(
      /scope\s+flows:write\s+unverified read access answered; Full access shows when reclaim klaviyo setup creates a flow/,
    );
    expect(stdout).toMatch(
      /scope\s+segments:write\s+MISSING reclaim klaviyo setup cannot create the Reclaim-only segments/,
    );
    expect(stdout).toMatch(/hint\s+the key lacks segments:write/);
  });

  it('a key without flows:write gets a clear line, and nothing is created', async () => {
    const key = 'pk_read_only';
    const { klaviyo } = await start({
      apiKeys: { [key]: ['accounts:read', 'metrics:read', 'flows:read', 'segments:read', 'events:write'] },
    });
    process.env.KLAVIYO_API_KEY = key;
    const { code, stderr } = await cli('klaviyo', 'setup');
    expect(code).toBe(1);
    expect(stderr).toMatch(/the key lacks flows:write, so setup cannot create flows .*; nothing was created/);
    expect(klaviyo.flows.filter((f) => f.viaApi)).toEqual([]);
  });

  it('an outage half way stops with what was created; the rerun finishes without duplicates', async () => {
    const { klaviyo } = await start();
    klaviyo.faults.down = () => (klaviyo.flows.some((f) => f.viaApi) ? { status: 503 } : undefined);
    const first = await cli('klaviyo', 'setup');
    expect(first.code).toBe(69);
    expect(first.stderr).toMatch(
      /created before it stopped: flow "Reclaim · .*" \(\w+\); run reclaim klaviyo setup again to finish/,
    );
    expect(klaviyo.flows.filter((f) => f.viaApi)).toHaveLength(1);

    klaviyo.faults.down = () => undefined;
    const second = await cli('klaviyo', 'setup', '--json');
    expect(second.code).toBe(0);
    const report = JSON.parse(second.stdout);
    expect(report.existing.map((o: { kind: string }) => o.kind)).toEqual(['flow']);
    expect(klaviyo.flows.filter((f) => f.viaApi)).toHaveLength(3);
    expect(klaviyo.segments).toHaveLength(3);
  });

  it('waits out a 429 as Retry-After asks, and gives up with a clear line when the wait is too long', async () => {
    const { klaviyo } = await start();
    klaviyo.faults.failNext({ status: 429, retryAfter: 1 });
    expect((await cli('klaviyo', 'setup')).code).toBe(0);
    expect(klaviyo.flows.filter((f) => f.viaApi)).toHaveLength(3);

    const { klaviyo: fresh } = await start();
    fresh.faults.down = () => ({ status: 429, retryAfter: 3600 });
    const { code, stderr } = await cli('klaviyo', 'setup');
    expect(code).toBe(69);
    expect(stderr).toMatch(/throttling .*nothing was created; run reclaim klaviyo setup again/);
  });
});
