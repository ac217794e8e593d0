import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { KlaviyoStandIn } from '../../src/stand-ins/klaviyo-stand-in.ts';

/** The stand-in refuses the setup, subscription and report requests Klaviyo refuses. */
describe('Klaviyo stand-in: flows, segments, subscriptions and flow reports', () => {
  let standIn: KlaviyoStandIn;
  beforeEach(async () => {
    standIn = new KlaviyoStandIn({ rateLimits: false });
    await standIn.start();
  });
  afterEach(() => standIn.close());

  const post = async (path: string, body: unknown, key = KlaviyoStandIn.DEFAULT_KEY) => {
    const res = await fetch(`${standIn.url}${path}`, {
      method: 'POST',
      headers: {
        authorization: `Klaviyo-API-Key ${key}`,
        revision: '2026-07-15',
        'content-type': 'application/vnd.api+json',
        accept: 'application/vnd.api+json',
      },
      body: JSON.stringify(body),
    });
    const text = await res.text();
    return {
      status: res.status,
      body: text ? (JSON.parse(text) as { errors?: { detail: string }[] }) : undefined,
    };
  };
  const flow = (metric: string, actions: unknown[], extra: Record<string, unknown> = {}) => ({
    data: {
      type: 'flow',
      attributes: {
        name: 'Reclaim · test',
        definition: { triggers: [{ type: 'metric', id: metric }], actions, entry_action_id: 'a1', ...extra },
      },
    },
  });
  const email = { temporary_id: 'a1', type: 'send-email', links: { next: null }, data: { status: 'live' } };

  it('creates a flow as a draft, whatever its actions say, with real action ids', async () => {
    const metric = standIn.seedMetric('Reclaim Cart Abandonment').id;
    const res = await post('/api/flows', flow(metric, [email]));
    expect(res.status).toBe(201);
    const created = standIn.flows.find((f) => f.viaApi)!;
    expect(created).toMatchObject({ status: 'draft', metricId: metric });
    expect(created.definition.entry_action_id).toMatch(/^\d+$/);
  });

  it('refuses what the spec refuses: unknown fields, ids on create, an unknown metric', async () => {
    const metric = standIn.seedMetric('Reclaim Cart Abandonment').id;
    const unknown = await post('/api/flows', flow(metric, [email], { owner: 'me' }));
    expect(unknown.status).toBe(400);
    expect(unknown.body!.errors![0]!.detail).toBe("'owner' is not a valid field for this resource.");
    const withId = await post('/api/flows', flow(metric, [{ ...email, id: '42' }]));
    expect(withId.status).toBe(400);
    expect(withId.body!.errors![0]!.detail).toMatch(/id is not allowed on create/);
    expect((await post('/api/flows', flow('NoSuch', [email]))).status).toBe(400);
    expect(standIn.flows).toEqual([]);
  });

  it('answers 403 to a key without flows:write', async () => {
    const limited = new KlaviyoStandIn({ apiKeys: { pk_read: ['flows:read', 'metrics:read'] } });
    await limited.start();
    try {
      const denied = await fetch(`${limited.url}/api/flows`, {
        method: 'POST',
        headers: {
          authorization: 'Klaviyo-API-Key pk_read',
          revision: '2026-07-15',
          'content-type': 'application/json',
        },
        body: '{}',
      });
      expect(denied.status).toBe(403);
    } finally {
      await limited.close();
    }
  });

  it('takes consented_at only in a historical import, and needs the channel’s contact', async () => {
    const job = (historical: boolean, attributes: Record<string, unknown>) => ({
      data: {
        type: 'profile-subscription-bulk-create-job',
        attributes: { historical_import: historical, profiles: { data: [{ type: 'profile', attributes }] } },
      },
    });
    const sms = {
      subscriptions: { sms: { marketing: { consent: 'SUBSCRIBED', consented_at: '2026-11-21T08:30:00Z' } } },
    };
    expect(
      (
        await post(
          '/api/profile-subscription-bulk-create-jobs',
          job(false, { phone_number: '+14155550123', ...sms }),
        )
      ).status,
    ).toBe(400);
    expect(
      (await post('/api/profile-subscription-bulk-create-jobs', job(true, { email: 'a@b.example', ...sms })))
        .status,
    ).toBe(400);
    expect(
      (
        await post(
          '/api/profile-subscription-bulk-create-jobs',
          job(true, { phone_number: '4155550123', ...sms }),
        )
      ).status,
    ).toBe(400);
    expect(
      (
        await post(
          '/api/profile-subscription-bulk-create-jobs',
          job(true, { phone_number: '+14155550123', ...sms }),
        )
      ).status,
    ).toBe(202);
    expect(standIn.subscriptions).toEqual([
      expect.objectContaining({
        channel: 'sms',
        consent: 'SUBSCRIBED',
        phone_number: '+14155550123',
        consentedAt: '2026-11-21T08:30:00Z',
      }),
    ]);
  });

  it('flow values reports: group_by must name flow_id and flow_message_id; the figures follow the events received', async () => {
    const conversion = standIn.seedMetric('Placed Order').id;
    const native = standIn.seedFlow({
      name: 'Abandoned Cart',
      status: 'live',
      metric: 'Added to Cart',
      created: Date.parse('2026-10-01T00:00:00Z'),
    });
    const track = (metric: string, time: string, value?: number) =>
      standIn.trackNative({ metric, email: 'x@shop.example', time, uniqueId: time, ...(value && { value }) });
    track('Added to Cart', '2026-11-10T10:00:00Z');
    track('Placed Order', '2026-11-11T10:00:00Z', 99.5);
    const query = (groupBy: string[]) => ({
      data: {
        type: 'flow-values-report',
        attributes: {
          statistics: ['recipients', 'conversion_value'],
          timeframe: { start: '2026-11-01T00:00:00Z', end: '2026-12-01T00:00:00Z' },
          conversion_metric_id: conversion,
          group_by: groupBy,
          filter: `contains-any(flow_id,["${native.id}"])`,
        },
      },
    });
    expect((await post('/api/flow-values-reports', query(['flow_id']))).status).toBe(400);
    const ok = await post('/api/flow-values-reports', query(['flow_id', 'flow_message_id']));
    expect(ok.status).toBe(200);
    expect(ok.body).toMatchObject({
      data: {
        attributes: {
          results: [
            { groupings: { flow_id: native.id }, statistics: { recipients: 1, conversion_value: 99.5 } },
          ],
        },
      },
    });
  });
});
