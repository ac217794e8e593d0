import { sql } from 'kysely';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEngine } from '../../src/app/engine.ts';
import { canonicalEventSchema } from '../../src/event-log/canonical-event.ts';
import { signShopifyBody } from '../../src/ingest/shopify/webhook-hmac.ts';
import { ManualClock } from '../../src/runtime/clock.ts';
import { createLogger } from '../../src/runtime/logger.ts';
import { buildApp } from '../../src/app/build-app.ts';
import type { Store } from '../../src/store/store.ts';
import { LogCapture, testConfig } from '../support/app.ts';
import { contractJson, contractText, PIXEL_EVENT_FILES, WEBHOOK_FIXTURES } from '../support/contracts.ts';
import { openTestSqlite } from '../support/dialects.ts';
import { PROTOTYPE_NAMES } from '../support/hostile.ts';
import { readStoredEvent } from '../../src/event-log/event-log.ts';

/**
 * Generated requests per property (there are six). `RECLAIM_FUZZ_RUNS=17000 npx vitest run
 * test/ingest/fuzz.test.ts` is the long run of the fault suite (102,000 requests); the default keeps
 * `npm test` quick. Each block of `BLOCK` runs gets a fresh database, so a long run's memory stays flat.
 */
const RUNS = Number(process.env.RECLAIM_FUZZ_RUNS ?? 300);
const BLOCK = 4_000;
/** Per property: a long run takes minutes, at a few hundred requests a second on a busy machine. */
const TIMEOUT = 60_000 + RUNS * 40;
const KEY = 'fuzz_key';
const SECRET = 'fuzz_secret';
const ADMIN = 'fuzz_admin_token_0123456789';

// ---- hostile values -------------------------------------------------------------------------------

/** Marks a string that `encode` turns into raw JSON text (numbers JSON.stringify cannot write). */
const RAW = '\u0000raw:';
const raw = (text: string) => `${RAW}${text}`;

const protoName = fc.constantFrom(...PROTOTYPE_NAMES);

const hugeNumber = fc.constantFrom(
  raw('1e309'),
  raw('-1e309'),
  raw('-0'),
  raw('1e-400'),
  raw('18446744073709551616'),
  raw('-9223372036854775809'),
  raw('123456789012345678'),
  raw('1234567890123456789012345678901234567890'),
  raw('0.000000000000000000000000000001'),
  raw('9007199254740993'),
);

const oddString = fc.oneof(
  protoName,
  fc.string({ maxLength: 40 }),
  fc.string({ maxLength: 20, unit: 'grapheme' }),
  fc.constantFrom(
    '\ud800',
    '\udfff',
    'a\ud83d',
    '\ud83d\ude00',
    '\u0000',
    '\ufeff',
    '\u202e',
    'é'.normalize('NFD'),
  ),
  fc.constantFrom(
    '2026-13-45T99:99:99Z',
    '0000-00-00',
    '2026-02-30T10:00:00Z',
    '9999-12-31T23:59:59.999999999+99:99',
  ),
  fc.constantFrom(
    'NaN',
    'Infinity',
    '-0',
    '1e309',
    'null',
    'true',
    '[object Object]',
    'US-CA',
    'ZZ',
    'EUR',
    '',
  ),
  fc.nat({ max: 50 }).map((n) => 'ab'.repeat(600 + n)),
);

/** Values big enough to meet a size or depth limit: rarer, as each costs milliseconds to send. */
const big = fc.oneof(
  fc.constant('x'.repeat(600_000)),
  fc.nat({ max: 50 }).map((n) => 'ab'.repeat(20_000 + n)),
  fc.integer({ min: 30, max: 3000 }).map((depth) => {
    let v: unknown = 'deep';
    for (let i = 0; i < depth; i++) v = { d: v };
    return v;
  }),
);

/** Hostile values to plant anywhere in an otherwise valid body. */
const hostile: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 2, arbitrary: fc.constantFrom(null, true, false, 0, -1, 0.5, '', [], {}) },
  {
    weight: 2,
    arbitrary: fc.oneof(
      fc.double(),
      fc.integer(),
      fc.bigInt({ min: 10n ** 17n, max: 10n ** 30n }).map(String),
    ),
  },
  { weight: 3, arbitrary: hugeNumber },
  { weight: 6, arbitrary: oddString },
  {
    weight: 2,
    arbitrary: fc.oneof(
      fc.array(fc.jsonValue({ maxDepth: 2 }), { maxLength: 5 }),
      fc.jsonValue({ maxDepth: 3 }),
    ),
  },
  {
    weight: 3,
    arbitrary: fc.oneof(
      protoName.map((name) => objectWith(name, { polluted: true })),
      fc.constant({ constructor: { prototype: { polluted: true } } }),
      fc.constant({ toString: 'x', valueOf: 1, hasOwnProperty: null }),
    ),
  },
  { weight: 1, arbitrary: big },
);

/** `{ [key]: value }` as an own property even for `__proto__`, as `JSON.parse` would make it. */
function objectWith(key: string, value: unknown): Record<string, unknown> {
  const object: Record<string, unknown> = {};
  Object.defineProperty(object, key, { value, enumerable: true, writable: true, configurable: true });
  return object;
}

// ---- bodies -----------------------------------------------------------------------------------------

type Path = (string | number)[];

const shapes = new WeakMap<object, { values: Path[]; objects: Path[] }>();

/** Every value's path and every object's path in `base` (computed once per base). */
function nodesOf(base: object): { values: Path[]; objects: Path[] } {
  const known = shapes.get(base);
  if (known) return known;
  const values: Path[] = [];
  const objects: Path[] = [[]];
  const walk = (node: unknown, path: Path) => {
    if (typeof node !== 'object' || node === null) return;
    for (const [k, v] of Object.entries(node)) {
      const p = [...path, Array.isArray(node) ? Number(k) : k];
      values.push(p);
      if (typeof v === 'object' && v !== null && !Array.isArray(v)) objects.push(p);
      walk(v, p);
    }
  };
  walk(base, []);
  shapes.set(base, { values, objects });
  return { values, objects };
}

/**
 * `base` with `value` at `path`, as an own property even when the key is `__proto__`. Only the
 * containers along the path are copied; where the path runs through something else, objects are made.
 */
function plant(base: unknown, path: Path, value: unknown): unknown {
  if (path.length === 0) return value;
  const [key, ...rest] = path as [string | number, ...Path];
  const node = typeof base === 'object' && base !== null ? base : {};
  const copy = (Array.isArray(node) ? [...(node as unknown[])] : { ...node }) as Record<
    string | number,
    unknown
  >;
  const child = rest.length > 0 && Object.hasOwn(copy, key) ? copy[key] : undefined;
  Object.defineProperty(copy, key, {
    value: plant(child, rest, value),
    enumerable: true,
    writable: true,
    configurable: true,
  });
  return copy;
}

/** What a generated request carries as its body, before the transport mangles it. */
type Body =
  | { kind: 'value'; pick: number; value: unknown }
  | { kind: 'field'; field: number; value: unknown }
  | { kind: 'key'; pick: number; key: string; value: unknown }
  | { kind: 'json'; value: unknown }
  | { kind: 'text'; text: string }
  | { kind: 'bytes'; bytes: Uint8Array }
  | { kind: 'base' };

const body: fc.Arbitrary<Body> = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.record({ kind: fc.constant('value' as const), pick: fc.nat(), value: hostile }),
  },
  {
    weight: 4,
    arbitrary: fc.record({ kind: fc.constant('field' as const), field: fc.nat(), value: hostile }),
  },
  {
    weight: 3,
    arbitrary: fc.record({
      kind: fc.constant('key' as const),
      pick: fc.nat(),
      key: fc.oneof(protoName, protoName, fc.string({ maxLength: 10 })),
      value: hostile,
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({ kind: fc.constant('json' as const), value: fc.jsonValue({ maxDepth: 4 }) }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant('text' as const),
      text: fc.oneof(
        fc.nat({ max: 100_000 }).map((n) => '['.repeat(n)),
        fc.nat({ max: 20_000 }).map((n) => `${'{"a":'.repeat(n)}1${'}'.repeat(n)}`),
        fc.nat({ max: 2_000 }).map((n) => `${'['.repeat(n)}${']'.repeat(n)}`),
        fc.constantFrom(
          '',
          ' ',
          'null',
          '"x"',
          '1e309',
          '[]',
          '{}',
          '{"__proto__":1}',
          '\ufeff{}',
          '{"a":1,}',
          '<html>',
        ),
      ),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({ kind: fc.constant('bytes' as const), bytes: fc.uint8Array({ maxLength: 300 }) }),
  },
  { weight: 2, arbitrary: fc.constant({ kind: 'base' as const }) },
);

/** Byte sequences that are not UTF-8: lone continuation, overlong, surrogate halves, beyond U+10FFFF. */
const BAD_UTF8 = [[0x80], [0xc0, 0xaf], [0xed, 0xa0, 0x80], [0xf4, 0x90, 0x80, 0x80], [0xff], [0xc3]];

/** How the body travels: content type, and whether invalid UTF-8 is spliced into it. */
interface Transport {
  contentType: string | undefined;
  badUtf8: { at: number; bytes: number } | undefined;
}

const transport: fc.Arbitrary<Transport> = fc.record({
  contentType: fc.oneof(
    { weight: 12, arbitrary: fc.constant('application/json') },
    { weight: 3, arbitrary: fc.constant('text/plain;charset=UTF-8') },
    {
      weight: 4,
      arbitrary: fc.constantFrom(
        undefined,
        'text/html',
        'multipart/form-data; boundary=----x',
        'application/x-www-form-urlencoded',
        'application/json; charset=latin1',
        'application/json; charset=utf-16',
        'application/vnd.api+json',
        'application/octet-stream',
        'constructor/__proto__',
        'application/json; constructor=toString',
      ),
    },
  ),
  badUtf8: fc.oneof(
    { weight: 7, arbitrary: fc.constant(undefined) },
    { weight: 1, arbitrary: fc.record({ at: fc.nat(), bytes: fc.nat({ max: BAD_UTF8.length - 1 }) }) },
  ),
});

let fresh = 0;
/** Raw-number markers, and the message and checkout ids made fresh per request, in one pass. */
const FRESHEN = /"\\u0000raw:([^"]*)"|"m([123])"|sh-/g;

/** The request body: `base` with the generated change, ids made fresh so accepted bodies are not duplicates. */
function encode(b: Body, base: object, fields: Path[], t: Transport): Buffer {
  let text: string;
  if (b.kind === 'bytes') return Buffer.from(b.bytes);
  if (b.kind === 'text') text = b.text;
  else {
    const { values, objects } = nodesOf(base);
    const doc =
      b.kind === 'value'
        ? plant(base, values[b.pick % values.length] ?? [], b.value)
        : b.kind === 'field'
          ? plant(base, fields[b.field % fields.length] ?? [], b.value)
          : b.kind === 'key'
            ? plant(base, [...objects[b.pick % objects.length]!, b.key], b.value)
            : b.kind === 'json'
              ? b.value
              : base;
    fresh++;
    text = JSON.stringify(doc).replace(FRESHEN, (_match: string, number?: string, message?: string) =>
      number !== undefined ? number : message !== undefined ? `"m${message}-${fresh}"` : `sh-${fresh}-`,
    );
  }
  const bytes = Buffer.from(text, 'utf8');
  if (!t.badUtf8) return bytes;
  const cut = t.badUtf8.at % (bytes.length + 1);
  return Buffer.concat([
    bytes.subarray(0, cut),
    Buffer.from(BAD_UTF8[t.badUtf8.bytes]!),
    bytes.subarray(cut),
  ]);
}

// ---- headers and query strings --------------------------------------------------------------------

/** Header values a client can send: visible ASCII and obs-text, never CR or LF. */
const headerValue = fc.oneof(
  protoName,
  fc.string({ maxLength: 30, unit: fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)) }),
  fc.string({ maxLength: 8, unit: fc.integer({ min: 0x80, max: 0xff }).map((c) => String.fromCharCode(c)) }),
  fc.constantFrom('', '1', '0', 'US', 'us', 'DE', 'US-CA', 'CA', 'ZZ', '1e309', '-0', 'x'.repeat(2000)),
);

/** Request headers beyond the endpoint's own: geo, GPC, user agent, proxies, and names of prototype members. */
const extraHeaders = fc.dictionary(
  fc.constantFrom(
    'cf-ipcountry',
    'cf-region-code',
    'sec-gpc',
    'user-agent',
    'origin',
    'x-forwarded-for',
    'accept',
    'content-encoding',
    ...PROTOTYPE_NAMES.map((n) => n.toLowerCase()),
  ),
  headerValue,
  { maxKeys: 4 },
);

const QUERY_NAMES = [
  'from',
  'to',
  'stage',
  'status',
  'limit',
  'destination',
  'kind',
  'email',
  'phone',
  'anonymous_id',
  'customer_id',
  'client_id',
  'browser_id',
  'cursor',
  'permission',
  'key',
  'reason',
  'offset',
  'after',
  'refusedAfter',
  'source',
  'reveal',
  ...PROTOTYPE_NAMES,
];

const queryValue = fc.oneof(
  protoName,
  oddString,
  hugeNumber.map((v) => v.slice(RAW.length)),
  fc.constantFrom(
    '2026-11-01',
    '2026-11-01T00:00:00Z',
    'browse',
    'cart',
    'pending',
    'klaviyo',
    'a@b.co',
    '+15555550123',
  ),
);

/** A query string: names repeated (arrays), values encoded or left raw (`%zz`, `%00`, `%ff`). */
const queryString = fc
  .array(
    fc.tuple(
      fc.oneof(fc.constantFrom(...QUERY_NAMES), fc.string({ maxLength: 8 })),
      queryValue,
      fc.constantFrom('encoded', 'encoded', 'raw', '%', '%zz', '%00', '%ff', '%c3%28', '%ed%a0%80', '%E2%82'),
    ),
    { maxLength: 5 },
  )
  .map((pairs) =>
    pairs
      .map(([name, value, how]) => {
        const bare = value.replace(/[^\x21-\x7e]/g, '').replace(/[#&]/g, '');
        const v =
          how === 'encoded'
            ? encodeURIComponent(value.replace(/[\ud800-\udfff]/g, '?'))
            : how === 'raw'
              ? bare
              : `${bare}${how}`;
        return `${encodeURIComponent(name.replace(/[\ud800-\udfff]/g, '?'))}=${v}`;
      })
      .join('&'),
  );

const ADMIN_PATHS = [
  '/admin/v1/triggers',
  '/admin/v1/profiles/lookup',
  '/admin/v1/reports/gap',
  '/admin/v1/deliveries',
  '/admin/v1/destinations',
  '/admin/v1/exports',
  '/admin/v1/profiles/:id',
  '/admin/v1/triggers/:id',
  '/admin/v1/exports/:id',
  '/admin/v1/consent/records',
  '/admin/v1/consent/rates',
  '/admin/v1/reports/stages-by-day',
  '/admin/v1/reports/accuracy',
  '/admin/v1/events/live',
  '/admin/v1/scans',
  '/healthz',
  '/readyz',
];

// ---- bases ------------------------------------------------------------------------------------------

const pixelBody = {
  events: PIXEL_EVENT_FILES.map((f) => contractJson(`shopify/pixel-events/${f}.json`)),
  customerPrivacy: contractJson('shopify/pixel-events/init.json').customerPrivacy,
  init: contractJson('shopify/pixel-events/init.json').data,
  cookies: { __kla_id: 'eyJjaWQiOiJ4In0=', _fbp: 'fb.1.1.1', _ga: 'GA1.1.1.1' },
};
const pixelFields: Path[] = [
  ...pixelBody.events.flatMap((_, i) => [
    ['events', i, 'name'],
    ['events', i, 'id'],
    ['events', i, 'timestamp'],
    ['events', i, 'clientId'],
    ['events', i, 'data'],
    ['events', i, 'context'],
  ]),
  ['customerPrivacy'],
  ['customerPrivacy', 'analyticsProcessingAllowed'],
  ['cookies'],
  ['cookies', '__kla_id'],
  ['init'],
  ['init', 'customer'],
  ['events'],
];

const segmentMessages = [
  {
    type: 'track',
    event: 'Product Added',
    anonymousId: 'a',
    messageId: 'm1',
    properties: { product_id: 'p', price: 1, quantity: 1, currency: 'USD' },
    context: { consent: { categoryPreferences: { analytics: true, advertising: true } } },
  },
  { type: 'identify', userId: 'u', messageId: 'm2', traits: { email: 'a@b.co', phone: '+15555550123' } },
  {
    type: 'page',
    anonymousId: 'a',
    messageId: 'm3',
    context: { page: { url: 'https://s.example/?_kx=1&utm_source=constructor' } },
  },
];
const segmentBatch = { batch: segmentMessages, sentAt: '2026-11-22T12:00:00Z' };
const messageFields: Path[] = [
  ['type'],
  ['event'],
  ['anonymousId'],
  ['userId'],
  ['previousId'],
  ['messageId'],
  ['timestamp'],
  ['properties'],
  ['properties', 'currency'],
  ['properties', 'price'],
  ['traits'],
  ['traits', 'email'],
  ['context'],
  ['context', 'consent', 'categoryPreferences'],
  ['writeKey'],
];
const batchFields: Path[] = [
  ['batch'],
  ['sentAt'],
  ['context'],
  ...segmentMessages.flatMap((_, i) => messageFields.map((f) => ['batch', i, ...f])),
];

const consentBody = {
  subject: { email: 'a@b.co', anonymousId: 'anon-1' },
  permission: 'email',
  state: 'granted',
  source: 'popup',
  wording: 'Yes, email me',
  timestamp: '2026-11-21T08:30:00Z',
  categories: { analytics: true, marketing: true, preferences: true, saleOfData: false },
  country: 'DE',
};
const consentFields: Path[] = [
  ['subject'],
  ['subject', 'email'],
  ['subject', 'phone'],
  ['subject', 'customerId'],
  ['permission'],
  ['state'],
  ['source'],
  ['wording'],
  ['wordingVersion'],
  ['timestamp'],
  ['categories'],
  ['optOutOffered'],
  ['gpc'],
  ['country'],
  ['region'],
];

const webhookBodies = Object.entries(WEBHOOK_FIXTURES).map(([topic, file]) => ({
  topic,
  raw: contractText(`shopify/webhooks/${file}.json`),
  parsed: JSON.parse(contractText(`shopify/webhooks/${file}.json`)) as object,
}));
const topic = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.constantFrom(...webhookBodies.map((w) => w.topic), 'orders/paid', 'checkouts/delete'),
  },
  { weight: 3, arbitrary: protoName },
  { weight: 1, arbitrary: headerValue },
  {
    weight: 1,
    arbitrary: fc.constantFrom(
      'ORDERS/CREATE',
      'orders/create ',
      'customers/__proto__',
      'constructor/update',
    ),
  },
);

// ---- the suite --------------------------------------------------------------------------------------

interface Harness {
  inject: (request: {
    method: 'GET' | 'POST';
    url: string;
    headers: Record<string, string>;
    payload?: Buffer;
  }) => Promise<{ statusCode: number; body: string }>;
}

/** Everything ingest keeps: the event log, the counted-only behaviour, the webhook delivery ids. */
async function stored(store: Store): Promise<number> {
  const { rows } = await sql<{ n: number }>`select
      (select count(*) from events)
      + (select coalesce(sum(count), 0) from anonymous_counts)
      + (select count(*) from webhook_deliveries) as n`.execute(store.db);
  return Number(rows[0]!.n);
}

/**
 * Runs `runs` cases of `property` in blocks, each against a fresh app and database. After a block, every
 * stored event must be a valid canonical event, the engine must digest them all, and no prototype is polluted.
 */
async function fuzz<T>(
  arbitrary: fc.Arbitrary<T>,
  request: (h: Harness, value: T) => Promise<void>,
): Promise<number> {
  let sent = 0;
  for (let done = 0; done < RUNS; done += BLOCK) {
    const store = await openTestSqlite();
    const config = testConfig({
      RECLAIM_WRITE_KEYS: KEY,
      SHOPIFY_WEBHOOK_SECRET: SECRET,
      RECLAIM_ADMIN_TOKEN: ADMIN,
      RECLAIM_PIXEL_RATE_LIMIT: '10000000',
      RECLAIM_LOG_LEVEL: 'silent',
    });
    const log = createLogger({ level: 'silent', destination: new LogCapture() });
    const clock = new ManualClock(Date.UTC(2026, 10, 22, 12));
    const engine = createEngine({ config, store, log, clock });
    // No engine run per request: the check below is then about this request alone.
    const app = await buildApp({ config, store, log, clock, engine });
    await app.ready();
    try {
      const harness: Harness = {
        async inject(req) {
          const before = await stored(store);
          const res = await app.inject(req);
          sent++;
          const what = `${req.method} ${req.url.slice(0, 200)} → ${res.statusCode}: ${res.body.slice(0, 300)}`;
          expect(res.statusCode, what).toBeLessThan(500);
          if (res.statusCode >= 300) {
            const error = (JSON.parse(res.body) as { error: { code: unknown; message: unknown } }).error;
            expect(error.code, what).toMatch(/^RECLAIM_ERR_[A-Z_]+$/);
            expect(typeof error.message, what).toBe('string');
            expect(await stored(store), `a refused request stored nothing: ${what}`).toBe(before);
          }
          if (req.method === 'GET') expect(await stored(store), `a GET stored nothing: ${what}`).toBe(before);
          return res;
        },
      };
      const details = await fc.check(
        fc.asyncProperty(arbitrary, (value) => request(harness, value)),
        { numRuns: Math.min(BLOCK, RUNS - done) },
      );
      // Counterexamples hold 600 KB strings: the report keeps the seed, the path and what was answered.
      if (details.failed) {
        const error =
          details.errorInstance instanceof Error
            ? details.errorInstance.message
            : String(details.errorInstance);
        const example = JSON.stringify(details.counterexample, (_k, v: unknown) =>
          typeof v === 'string' && v.length > 200 ? `${v.slice(0, 200)}…(${v.length} chars)` : v,
        );
        expect.fail(
          `seed ${details.seed}, path ${details.counterexamplePath}: ${error.slice(0, 1500)}\n${example.slice(0, 3000)}`,
        );
      }
      const rows = await store.db.selectFrom('events').selectAll().execute();
      for (const row of rows) expect(() => canonicalEventSchema.parse(readStoredEvent(row))).not.toThrow();
      await engine.processor.drain();
      expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    } finally {
      await app.close();
      await store.close();
    }
  }
  return sent;
}

const basic = `Basic ${Buffer.from(`${KEY}:`).toString('base64')}`;
const post = (h: Harness, url: string, payload: Buffer, t: Transport, headers: Record<string, string>) =>
  h.inject({
    method: 'POST',
    url,
    headers: { ...(t.contentType === undefined ? {} : { 'content-type': t.contentType }), ...headers },
    payload,
  });

describe(`hostile input at every endpoint (${RUNS} runs each; RECLAIM_FUZZ_RUNS)`, () => {
  it(
    'Segment batch: 2xx or 4xx with a code, never 500, never half a batch',
    async () => {
      await fuzz(fc.tuple(body, transport, extraHeaders), async (h, [b, t, headers]) => {
        await post(h, '/v1/batch', encode(b, segmentBatch, batchFields, t), t, {
          authorization: basic,
          ...headers,
        });
      });
    },
    TIMEOUT,
  );

  it(
    'Segment single calls, every type',
    async () => {
      const call = fc.constantFrom('track', 'identify', 'page', 'screen', 'group', 'alias', 'import');
      await fuzz(
        fc.tuple(body, transport, extraHeaders, call, fc.nat(2)),
        async (h, [b, t, headers, type, i]) => {
          await post(h, `/v1/${type}`, encode(b, segmentMessages[i]!, messageFields, t), t, {
            authorization: basic,
            ...headers,
          });
        },
      );
    },
    TIMEOUT,
  );

  it(
    'Shopify pixel',
    async () => {
      await fuzz(fc.tuple(body, transport, extraHeaders), async (h, [b, t, headers]) => {
        await post(h, '/v1/pixel', encode(b, pixelBody, pixelFields, t), t, headers);
      });
    },
    TIMEOUT,
  );

  it(
    'consent',
    async () => {
      await fuzz(fc.tuple(body, transport, extraHeaders), async (h, [b, t, headers]) => {
        await post(h, '/v1/consent', encode(b, consentBody, consentFields, t), t, {
          authorization: basic,
          ...headers,
        });
      });
    },
    TIMEOUT,
  );

  it(
    'Shopify webhooks: signed with the secret (so the mapper is reached) and not',
    async () => {
      const webhook = fc.record({
        body,
        transport,
        sample: fc.nat(webhookBodies.length - 1),
        topic,
        signed: fc.oneof(
          { weight: 9, arbitrary: fc.constant(true) },
          { weight: 1, arbitrary: fc.constant(false) },
        ),
        shop: fc.option(headerValue),
        triggeredAt: fc.option(headerValue),
        webhookId: fc.oneof(
          { weight: 4, arbitrary: fc.constant(null) },
          { weight: 1, arbitrary: headerValue },
        ),
        headers: extraHeaders,
      });
      await fuzz(webhook, async (h, w) => {
        const sample = webhookBodies[w.sample]!;
        const payload =
          w.body.kind === 'base' && !w.transport.badUtf8
            ? Buffer.from(sample.raw)
            : encode(w.body, sample.parsed, [], w.transport);
        const res = await post(h, '/webhooks/shopify', payload, w.transport, {
          ...w.headers,
          'x-shopify-topic': w.topic,
          'x-shopify-webhook-id': w.webhookId ?? `w-${++fresh}`,
          ...(w.shop === null ? {} : { 'x-shopify-shop-domain': w.shop }),
          ...(w.triggeredAt === null ? {} : { 'x-shopify-triggered-at': w.triggeredAt }),
          'x-shopify-hmac-sha256': signShopifyBody(payload, w.signed ? SECRET : 'wrong'),
        });
        if (!w.signed) expect(res.statusCode).toBe(401);
      });
    },
    TIMEOUT,
  );

  it(
    'admin API and health GET routes with hostile query strings and path ids',
    async () => {
      const get = fc.record({
        path: fc.constantFrom(...ADMIN_PATHS),
        id: fc.oneof(protoName, oddString),
        query: queryString,
        auth: fc.oneof(
          { weight: 8, arbitrary: fc.constant(`Bearer ${ADMIN}`) },
          { weight: 1, arbitrary: headerValue },
          { weight: 1, arbitrary: protoName.map((n) => `Bearer ${n}`) },
        ),
        headers: extraHeaders,
        accept: fc.constantFrom(undefined, 'text/csv', 'application/json', 'text/html', '*/*', 'constructor'),
      });
      await fuzz(get, async (h, g) => {
        const id = encodeURIComponent(g.id.replace(/[\ud800-\udfff]/g, '?')).slice(0, 3000);
        const path = g.path.replace(':id', id || 'x');
        await h.inject({
          method: 'GET',
          url: g.query ? `${path}?${g.query}` : path,
          headers: { ...g.headers, authorization: g.auth, ...(g.accept ? { accept: g.accept } : {}) },
        });
      });
    },
    TIMEOUT,
  );
});

describe('what the fuzz suite found, kept as plain cases', () => {
  let store: Store;
  let app: Awaited<ReturnType<typeof buildApp>>;
  beforeAll(async () => {
    store = await openTestSqlite();
    const config = testConfig({
      RECLAIM_WRITE_KEYS: KEY,
      RECLAIM_ADMIN_TOKEN: ADMIN,
      RECLAIM_LOG_LEVEL: 'silent',
    });
    const log = createLogger({ level: 'silent', destination: new LogCapture() });
    const clock = new ManualClock(Date.UTC(2026, 10, 22, 12));
    app = await buildApp({ config, store, log, clock, engine: createEngine({ config, store, log, clock }) });
    await app.ready();
  });
  afterAll(async () => {
    await app.close();
    await store.close();
  });
  const admin = { authorization: `Bearer ${ADMIN}` };

  it.each(['/v1/batch', '/v1/track', '/v1/pixel'])(
    '%s without a Content-Type or a body is malformed, not a 500',
    async (url) => {
      const res = await app.inject({ method: 'POST', url, headers: { authorization: basic } });
      expect(res.statusCode, res.body).toBe(400);
      expect(res.json().error.code).toBe('RECLAIM_ERR_MALFORMED_JSON');
    },
  );

  it('a path id longer than the router reads is not found, in the API’s error shape', async () => {
    const res = await app.inject({
      method: 'GET',
      url: `/admin/v1/exports/${'a'.repeat(200)}`,
      headers: admin,
    });
    expect(res.statusCode).toBe(404);
    expect(res.json().error.code).toBe('RECLAIM_ERR_NOT_FOUND');
  });

  it.each([
    '/admin/v1/deliveries?destination=a&destination=b',
    '/admin/v1/deliveries?kind=a&kind=b',
    '/admin/v1/triggers?stage=cart&stage=browse',
    '/admin/v1/reports/gap?from=2026-11-01&from=2026-11-02',
    '/admin/v1/triggers?limit=0.000000000000000000000000000001',
    '/admin/v1/triggers?limit=1e309',
  ])('a query parameter given twice, or a limit that is no count, is a bad request: %s', async (url) => {
    const res = await app.inject({ method: 'GET', url, headers: admin });
    expect(res.statusCode, res.body).toBe(400);
    expect(res.json().error.code).toBe('RECLAIM_ERR_BAD_REQUEST');
  });

  it('a forged X-Forwarded-For is not stored as the shopper’s address', async () => {
    const res = await app.inject({
      method: 'POST',
      url: '/v1/track',
      headers: {
        authorization: basic,
        'content-type': 'application/json',
        'cf-ipcountry': 'US',
        'x-forwarded-for': 'x'.repeat(100),
      },
      payload: JSON.stringify({ event: 'Product Viewed', anonymousId: 'a-xff', messageId: 'xff-1' }),
    });
    expect(res.statusCode, res.body).toBe(200);
    const rows = await store.db.selectFrom('events').selectAll().execute();
    const event = rows.map(readStoredEvent).find((e) => e.idempotencyKey === 'segment:xff-1')!;
    expect(() => canonicalEventSchema.parse(event)).not.toThrow();
    // No proxy is trusted (RECLAIM_TRUST_PROXY's default): the address is the socket's.
    expect(event.context?.ip).toBe('127.0.0.1');
  });
});
