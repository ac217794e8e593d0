import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { klaviyoSettings } from '../../src/destinations/klaviyo/settings.ts';
import { KlaviyoApi } from '../../src/klaviyo/klaviyo-api.ts';
import { setupKlaviyo } from '../../src/klaviyo/klaviyo-setup.ts';
import { CLICK_RATE, engagementOf, OPEN_RATE } from '../../src/stand-ins/klaviyo-flow-run.ts';
import { KlaviyoStandIn } from '../../src/stand-ins/klaviyo-stand-in.ts';
import { testConfig } from '../support/app.ts';

const at = (iso: string) => Date.parse(iso);

/**
 * The stand-in's flows run on what it received: trigger events start live flows, the filters
 * `reclaim klaviyo setup` writes decide who gets the first message, and orders count as conversions.
 */
describe('Klaviyo stand-in: flow figures from the events it received', () => {
  let standIn: KlaviyoStandIn;
  let now: number;
  let api: KlaviyoApi;

  beforeEach(async () => {
    now = at('2026-10-31T00:00:00Z');
    standIn = new KlaviyoStandIn({ rateLimits: false, clock: () => now });
    await standIn.start();
    api = new KlaviyoApi(
      klaviyoSettings(
        testConfig({ KLAVIYO_API_KEY: KlaviyoStandIn.DEFAULT_KEY, KLAVIYO_BASE_URL: standIn.url }),
      )!,
    );
    for (const name of ['Placed Order', 'Received Email', 'Reclaim Cart Abandonment'])
      standIn.seedMetric(name);
    // The native flow as Klaviyo's template builds it: wait 4 hours, email; no order since it started.
    standIn.seedFlow({
      name: 'Abandoned Cart',
      status: 'live',
      metric: 'Added to Cart',
      created: at('2026-09-01T00:00:00Z'),
      profileFilter: {
        condition_groups: [
          {
            conditions: [
              {
                type: 'profile-metric',
                metric_id: standIn.metrics.get('Placed Order')!.id,
                measurement: 'count',
                measurement_filter: { type: 'numeric', operator: 'equals', value: 0 },
                timeframe_filter: { type: 'date', operator: 'flow-start' },
              },
            ],
          },
        ],
      },
      reentryCriteria: { duration: 7, unit: 'day' },
    });
    const report = await setupKlaviyo(api);
    expect(report.failure).toBeNull();
    expect(report.created.filter((c) => c.kind === 'flow')).toHaveLength(1);
  });
  afterEach(() => standIn.close());

  const native = () => standIn.flows.find((f) => f.name === 'Abandoned Cart')!;
  const reclaim = () => standIn.flows.find((f) => f.name.startsWith('Reclaim · Abandoned Cart'))!;
  const sendReclaim = async (email: string, time: string, properties: Record<string, unknown>) => {
    const res = await fetch(`${standIn.url}/api/events`, {
      method: 'POST',
      headers: {
        authorization: `Klaviyo-API-Key ${KlaviyoStandIn.DEFAULT_KEY}`,
        revision: '2026-07-15',
        'content-type': 'application/vnd.api+json',
      },
      body: JSON.stringify({
        data: {
          type: 'event',
          attributes: {
            properties: { stage: 'cart', ...properties },
            time,
            value: 40,
            unique_id: `${email}:${time}`,
            metric: { data: { type: 'metric', attributes: { name: 'Reclaim Cart Abandonment' } } },
            profile: { data: { type: 'profile', attributes: { email } } },
          },
        },
      }),
    });
    expect(res.status).toBe(202);
  };
  const native_ = (metric: string, email: string, time: string, value?: number) =>
    standIn.trackNative({
      metric,
      email,
      time,
      uniqueId: `${metric}:${email}:${time}`,
      ...(value !== undefined && { value }),
    });
  const setLive = (id: string) =>
    api.patch(`/api/flows/${id}`, { data: { type: 'flow', id, attributes: { status: 'live' } } });
  const figures = (flowId: string, from = '2026-11-01T00:00:00Z', to = '2026-12-01T00:00:00Z') =>
    api
      .post('/api/flow-values-reports', {
        data: {
          type: 'flow-values-report',
          attributes: {
            statistics: [
              'recipients',
              'opens_unique',
              'clicks_unique',
              'conversion_uniques',
              'conversion_value',
            ],
            timeframe: { start: from, end: to },
            conversion_metric_id: standIn.metrics.get('Placed Order')!.id,
            group_by: ['flow_id', 'flow_message_id'],
            filter: `equals(flow_id,"${flowId}")`,
          },
        },
      })
      .then(
        (b) =>
          (b as { data: { attributes: { results: { statistics: Record<string, number> }[] } } }).data
            .attributes.results[0]!.statistics,
      );

  it('a draft starts for nobody; set live through PATCH /api/flows/{id}, it starts from the next trigger', async () => {
    await sendReclaim('early@shop.example', '2026-11-02T10:00:00Z', { native_flow_likely: false });
    now = at('2026-11-02T12:00:00Z');
    const answer = (await setLive(reclaim().id)) as { data: { attributes: { status: string } } };
    expect(answer.data.attributes.status).toBe('live');
    expect(reclaim().status).toBe('live');
    await sendReclaim('late@shop.example', '2026-11-02T13:00:00Z', { native_flow_likely: false });
    now = at('2026-11-30T00:00:00Z');
    const run = standIn.flowRun();
    expect(run.entries.get(reclaim().id)?.map((e) => e.profileId)).toHaveLength(1);
    expect(run.messages.map((m) => [m.flowId, new Date(m.at).toISOString()])).toEqual([
      // The copy keeps the native flow's first wait of 4 hours.
      [reclaim().id, '2026-11-02T17:00:00.000Z'],
    ]);
    expect(run.unevaluated).toEqual([]);
  });

  it('the PATCH takes only what the spec allows: a status, the same id, a known flow', async () => {
    const patch = (id: string, body: unknown) =>
      fetch(`${standIn.url}/api/flows/${id}`, {
        method: 'PATCH',
        headers: {
          authorization: `Klaviyo-API-Key ${KlaviyoStandIn.DEFAULT_KEY}`,
          revision: '2026-07-15',
          'content-type': 'application/vnd.api+json',
        },
        body: JSON.stringify(body),
      });
    const id = reclaim().id;
    expect(
      (await patch(id, { data: { type: 'flow', id, attributes: { name: 'x', status: 'live' } } })).status,
    ).toBe(400);
    expect(
      (await patch(id, { data: { type: 'flow', id: 'Other1', attributes: { status: 'live' } } })).status,
    ).toBe(400);
    expect((await patch(id, { data: { type: 'flow', id, attributes: { status: 'running' } } })).status).toBe(
      400,
    );
    expect(
      (await patch('Nope12', { data: { type: 'flow', id: 'Nope12', attributes: { status: 'live' } } }))
        .status,
    ).toBe(404);
    expect(reclaim().status).toBe('draft');
  });

  it('trigger filters, both dedup filters, re-entry and the conversion window give exactly these figures', async () => {
    now = at('2026-11-01T00:00:00Z');
    await setLive(reclaim().id);
    // a: the native flow reaches them at 14:00 and they buy the next day: a native conversion.
    native_('Added to Cart', 'a@shop.example', '2026-11-03T10:00:00Z');
    native_('Placed Order', 'a@shop.example', '2026-11-04T10:00:00Z', 50);
    // a again within the native flow's 7-day re-entry: no second entry.
    native_('Added to Cart', 'a@shop.example', '2026-11-05T10:00:00Z');
    // b: only Reclaim saw it; its flow sends at 15:00 and they buy two days later.
    await sendReclaim('b@shop.example', '2026-11-03T11:00:00Z', { native_flow_likely: false });
    native_('Placed Order', 'b@shop.example', '2026-11-05T10:00:00Z', 80.5);
    // c: both saw it; the native email at 14:00 stops the Reclaim one at 15:00.
    native_('Added to Cart', 'c@shop.example', '2026-11-03T10:00:00Z');
    await sendReclaim('c@shop.example', '2026-11-03T11:00:00Z', { native_flow_likely: false });
    // d: Reclaim says Klaviyo likely saw it: the trigger filter keeps it out.
    await sendReclaim('d@shop.example', '2026-11-03T11:00:00Z', { native_flow_likely: true });
    // e: bought before the Reclaim email was due: "Placed Order zero times since starting this flow".
    await sendReclaim('e@shop.example', '2026-11-06T10:00:00Z', { native_flow_likely: false });
    native_('Placed Order', 'e@shop.example', '2026-11-06T12:00:00Z', 30);
    // f: a test event never starts the flow.
    await sendReclaim('f@shop.example', '2026-11-06T10:00:00Z', {
      native_flow_likely: false,
      reclaim_test: true,
    });
    // g: an order 6 days after the message is outside the 5-day window.
    await sendReclaim('g@shop.example', '2026-11-07T10:00:00Z', { native_flow_likely: false });
    native_('Placed Order', 'g@shop.example', '2026-11-13T15:00:00Z', 99);
    // h: the message is not due yet when the report is asked for.
    await sendReclaim('h@shop.example', '2026-11-20T10:00:00Z', { native_flow_likely: false });
    now = at('2026-11-20T12:00:00Z');

    const opens = (emails: string[]) => emails.filter((e) => engagementOf(e) < OPEN_RATE).length;
    const clicks = (emails: string[]) => emails.filter((e) => engagementOf(e) < CLICK_RATE).length;
    expect(await figures(native().id)).toEqual({
      recipients: 2,
      opens_unique: opens(['a@shop.example', 'c@shop.example']),
      clicks_unique: clicks(['a@shop.example', 'c@shop.example']),
      conversion_uniques: 1,
      conversion_value: 50,
    });
    expect(await figures(reclaim().id)).toEqual({
      recipients: 2,
      opens_unique: opens(['b@shop.example', 'g@shop.example']),
      clicks_unique: clicks(['b@shop.example', 'g@shop.example']),
      conversion_uniques: 1,
      conversion_value: 80.5,
    });
    const run = standIn.flowRun();
    expect(run.entries.get(reclaim().id)?.length).toBe(5); // b, c, e, g, h entered
    expect(run.entries.get(native().id)?.length).toBe(2);
    // The timeframe counts messages and orders inside it only.
    expect((await figures(reclaim().id, '2026-11-04T00:00:00Z', '2026-11-30T00:00:00Z')).recipients).toBe(1);
  });
});
