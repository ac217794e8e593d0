import { when, words } from '../format.ts';
import type { Destination } from '../types.ts';
import { Card, Pill, Show, useApi } from '../ui.tsx';

interface ShopifyStatus {
  shop: string | null;
  apiVersion: string;
  webhookUri: string | null;
  api: { ok: boolean; kind?: string; message?: string };
  scopes: { granted: string[]; missing: string[] } | null;
  topics: { topic: string; registered: boolean | null; lastReceivedAt: string | null }[];
  pixel: Record<string, unknown> & { lastEventAt?: string | null };
}

interface KlaviyoCheck {
  ok: boolean;
  baseUrl: string | null;
  api: { ok: boolean; kind?: string; message?: string };
  problems?: { message: string }[] | string[];
  metrics?: {
    stage: string;
    name: string;
    id: string | null;
    flows: { name: string | null; status: string | null }[] | null;
  }[];
}

function ShopifyCard() {
  const [loaded, reload] = useApi<ShopifyStatus>('/admin/v1/shopify/status');
  return (
    <Card title="Shopify">
      <Show loaded={loaded}>
        {(s) => (
          <div data-testid="setup-shopify">
            <p>
              {s.api.ok ? (
                <Pill tone="good">Connected</Pill>
              ) : (
                <Pill tone="bad">{words(s.api.kind ?? 'not connected')}</Pill>
              )}{' '}
              {s.shop ?? 'No shop configured (SHOPIFY_SHOP)'}
            </p>
            {!s.api.ok && <p class="muted small">{s.api.message}</p>}
            {s.scopes && s.scopes.missing.length > 0 && (
              <p class="error">Missing scopes: {s.scopes.missing.join(', ')}</p>
            )}
            <ul class="plain small">
              {s.topics.map((t) => (
                <li key={t.topic}>
                  <code>{t.topic}</code>{' '}
                  {t.registered === true ? '✓ registered' : t.registered === false ? '✗ not registered' : ''}
                  {' · '}last received {when(t.lastReceivedAt)}
                </li>
              ))}
            </ul>
            <button type="button" onClick={reload}>
              Check again
            </button>
          </div>
        )}
      </Show>
    </Card>
  );
}

function KlaviyoCard() {
  const [loaded, reload] = useApi<KlaviyoCheck>('/admin/v1/klaviyo/check');
  return (
    <Card title="Klaviyo">
      <Show loaded={loaded}>
        {(k) => (
          <div data-testid="setup-klaviyo">
            <p>
              {k.api.ok ? (
                <Pill tone="good">Key works</Pill>
              ) : (
                <Pill tone="bad">{words(k.api.kind ?? 'failing')}</Pill>
              )}{' '}
              {k.ok ? 'Ready to start flows.' : 'Needs attention.'}
            </p>
            {!k.api.ok && <p class="muted small">{k.api.message}</p>}
            {k.metrics && (
              <ul class="plain small">
                {k.metrics.map((m) => (
                  <li key={m.stage}>
                    <strong>{m.name}</strong>:{' '}
                    {m.id === null
                      ? 'no event received yet'
                      : m.flows && m.flows.length
                        ? m.flows.map((f) => `${f.name ?? 'flow'} (${f.status ?? '?'})`).join(', ')
                        : 'no flow uses it yet'}
                  </li>
                ))}
              </ul>
            )}
            <button type="button" onClick={reload}>
              Run the check again
            </button>
          </div>
        )}
      </Show>
    </Card>
  );
}

function ConversionCard() {
  const [loaded] = useApi<{ destinations: Destination[] }>('/admin/v1/destinations');
  return (
    <Card title="Meta and GA4">
      <Show loaded={loaded}>
        {({ destinations }) => (
          <ul class="plain" data-testid="setup-conversions">
            {['meta', 'ga4'].map((name) => {
              const d = destinations.find((x) => x.destination === name);
              return (
                <li key={name}>
                  <strong>{name === 'meta' ? 'Meta Conversions API' : 'GA4 Measurement Protocol'}</strong>:{' '}
                  {!d || !d.enabled ? (
                    <Pill tone="neutral">Off</Pill>
                  ) : d.status === 'active' ? (
                    <Pill tone="good">Active</Pill>
                  ) : (
                    <Pill tone="bad">Paused</Pill>
                  )}{' '}
                  {d?.enabled && <span class="muted small">{d.deliveries.delivered ?? 0} delivered</span>}
                  {!d?.enabled && (
                    <span class="muted small">
                      {name === 'meta'
                        ? ' set META_PIXEL_ID and META_ACCESS_TOKEN'
                        : ' set GA4_MEASUREMENT_ID and GA4_API_SECRET'}
                    </span>
                  )}
                </li>
              );
            })}
          </ul>
        )}
      </Show>
    </Card>
  );
}

export function SetupPage() {
  return (
    <div class="grid">
      <ShopifyCard />
      <KlaviyoCard />
      <ConversionCard />
    </div>
  );
}
