import { readFileSync } from 'node:fs';
import { Ajv } from 'ajv';
import addFormatsModule from 'ajv-formats';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KlaviyoStandIn } from '../../src/stand-ins/klaviyo-stand-in.ts';

const addFormats = addFormatsModule as unknown as (ajv: Ajv) => void;
const spec = JSON.parse(
  readFileSync(new URL('../../contracts/klaviyo/stable.json', import.meta.url), 'utf8'),
) as { components: { schemas: Record<string, unknown> } };

/** The spec's response schema, so the stand-in's bodies are checked against what Klaviyo publishes. */
function responseSchema(name: string) {
  const ajv = new Ajv({ strict: false });
  addFormats(ajv);
  ajv.addSchema({ $id: 'klaviyo', components: spec.components });
  return ajv.getSchema(`klaviyo#/components/schemas/${name}`)!;
}

describe('Klaviyo stand-in reads', () => {
  const standIn = new KlaviyoStandIn({
    rateLimits: false,
    apiKeys: {
      pk_full: ['accounts:read', 'metrics:read', 'flows:read', 'events:write'],
      pk_metrics: ['metrics:read'],
    },
  });
  const get = (path: string, key = 'pk_full', revision = '2026-07-15') =>
    fetch(`${standIn.url}${path}`, {
      headers: { authorization: `Klaviyo-API-Key ${key}`, revision, accept: 'application/vnd.api+json' },
    });
  beforeAll(async () => {
    await standIn.start();
    standIn.seedFlow({ name: 'Cart recovery', status: 'draft', metric: 'Reclaim Cart Abandonment' });
  });
  afterAll(() => standIn.close());

  it.each([
    ['/api/accounts', 'GetAccountResponseCollection'],
    ['/api/metrics', 'GetMetricResponseCollectionCompoundDocument'],
    ['/api/flows?page[size]=1', 'GetFlowResponseCollection'],
  ])('%s answers in the shape of %s', async (path, schema) => {
    const res = await get(path);
    expect(res.status).toBe(200);
    const validate = responseSchema(schema);
    expect(validate(await res.json()), JSON.stringify(validate.errors)).toBe(true);
  });

  it('flow-triggers answers the flows a metric triggers, in the spec’s shape', async () => {
    const id = standIn.metrics.get('Reclaim Cart Abandonment')!.id;
    const res = await get(`/api/metrics/${id}/flow-triggers`);
    const body = await res.json();
    expect(responseSchema('GetFlowResponseCollection')(body)).toBe(true);
    expect(
      body.data.map(
        (f: { attributes: { name: string; status: string; trigger_type: string } }) => f.attributes,
      ),
    ).toMatchObject([{ name: 'Cart recovery', status: 'draft', trigger_type: 'Metric' }]);
  });

  it('refuses a key without the scope in Klaviyo’s 403 shape, and one needing two scopes checks both', async () => {
    const denied = await get('/api/flows', 'pk_metrics');
    expect(denied.status).toBe(403);
    expect((await denied.json()).errors[0]).toMatchObject({ status: 403, code: 'permission_denied' });
    const id = standIn.metrics.get('Reclaim Cart Abandonment')!.id;
    expect((await get(`/api/metrics/${id}/flow-triggers`, 'pk_metrics')).status).toBe(403);
    expect((await get('/api/metrics', 'pk_metrics')).status).toBe(200);
  });

  it('refuses what the spec does not declare: unknown parameters, page sizes out of range, no revision', async () => {
    expect((await get('/api/metrics?filter=x&nope=1')).status).toBe(400);
    expect((await get('/api/flows?page[size]=51')).status).toBe(400);
    expect((await get('/api/flows?fields[flow]=name,colour')).status).toBe(400);
    expect((await get('/api/accounts', 'pk_full', '2099-01-01')).status).toBe(400);
  });
});
