import { useState } from 'preact/hooks';
import { post, query } from '../api.ts';
import { count, when, words } from '../format.ts';
import { lastDays, PeriodPicker, useLatestDay, type Period } from '../period.tsx';
import type { AccuracyReport, ChannelDecision, Delivery, Destination, TriggerSummary } from '../types.ts';
import { Card, Figure, Pill, Show, Table, useApi } from '../ui.tsx';

const STATUS_TONE: Record<string, 'good' | 'bad' | 'warn' | 'neutral'> = {
  delivered: 'good',
  pending: 'warn',
  dead: 'bad',
  dropped: 'neutral',
  skipped: 'neutral',
};

function Channel(props: { decision: ChannelDecision }) {
  const d = props.decision;
  return (
    <div>
      {d.allowed ? (
        <Pill tone="good">{words(d.basis ?? 'allowed')}</Pill>
      ) : (
        <Pill tone="neutral">{words(d.reason ?? 'refused')}</Pill>
      )}
      {d.deferredUntil && <div class="muted small">held until {when(d.deferredUntil)}</div>}
    </div>
  );
}

/** The reasons of the accuracy report, as a marketer reads them. */
const REASON_WORDS: Record<string, string> = {
  not_configured: 'Destination not connected',
  no_browser_event: 'Only Shopify reported it (no storefront data to send)',
  awaiting_processing: 'Still being processed',
  no_consent: 'Shopper did not consent',
  missing_identifiers: 'Missing identifiers (no Google cookie, user agent or page)',
  not_connected_then: 'Placed before the destination was connected',
  pending: 'Queued, sending soon',
  retrying: 'Failed, retrying',
  destination_paused: 'Destination paused',
  dead_lettered: 'Refused by the partner',
  dropped: 'Dropped by an operator',
};
const reasonWords = (code: string) =>
  (Object.hasOwn(REASON_WORDS, code) && REASON_WORDS[code]) || words(code);

const DESTINATION_NAMES: Record<string, string> = {
  klaviyo: 'Klaviyo',
  meta: 'Meta Conversions API',
  ga4: 'Google Analytics 4',
};
const destinationName = (name: string) =>
  (Object.hasOwn(DESTINATION_NAMES, name) && DESTINATION_NAMES[name]) || name;

/** "2 / 15": in the last hour, then in the last 24 hours. */
function HourDay(props: { hour: number; day: number; tone?: 'bad' | 'warn'; testid: string }) {
  return (
    <td class="num" data-testid={props.testid}>
      <span class={props.hour > 0 && props.tone ? `tone-${props.tone}` : ''}>{count(props.hour)}</span>
      <span class="muted"> / {count(props.day)}</span>
    </td>
  );
}

function Destinations() {
  const [loaded] = useApi<{ destinations: Destination[] }>('/admin/v1/destinations');
  return (
    <Show loaded={loaded}>
      {({ destinations }) =>
        destinations.length === 0 ? (
          <p class="muted">No destination is configured: set KLAVIYO_API_KEY, META_* or GA4_* (see Setup).</p>
        ) : (
          <>
            <Table
              head={[
                'Destination',
                'State',
                'Sent per minute, last hour',
                '429s, 1 h / 24 h',
                'Refused, 1 h / 24 h',
                '5xx or no answer, 1 h / 24 h',
                'Waiting',
                'Dead letters',
                'Delivered',
                'Skipped',
              ]}
              testid="destinations"
            >
              {destinations.map((d) => (
                <tr key={d.destination} data-destination={d.destination}>
                  <th scope="row">{destinationName(d.destination)}</th>
                  <td>
                    <Pill tone={!d.enabled ? 'neutral' : d.status === 'active' ? 'good' : 'bad'}>
                      {!d.enabled ? 'Off' : d.status === 'active' ? 'Active' : 'Paused'}
                    </Pill>
                    {d.status === 'paused' && d.reason && (
                      <div class="muted small">
                        {d.reason.status ? `HTTP ${d.reason.status}: ` : ''}
                        {d.reason.message ?? d.reason.kind}
                        {d.updatedAt && ` (since ${when(d.updatedAt)})`}
                      </div>
                    )}
                  </td>
                  <td class="num">
                    <span data-testid="rate">{d.lastHour.deliveredPerMinute.toLocaleString('en')}</span>
                    {Object.entries(d.sendLimits).map(([kind, limit]) => (
                      <div key={kind} class="muted small">
                        {words(kind)} limit {count(limit.perMinute)}/min
                      </div>
                    ))}
                  </td>
                  <HourDay
                    hour={d.lastHour.throttled}
                    day={d.last24Hours.throttled}
                    tone="warn"
                    testid="throttled"
                  />
                  <HourDay
                    hour={d.lastHour.clientErrors}
                    day={d.last24Hours.clientErrors}
                    tone="bad"
                    testid="client-errors"
                  />
                  <HourDay
                    hour={d.lastHour.serverErrors + d.lastHour.noAnswer}
                    day={d.last24Hours.serverErrors + d.last24Hours.noAnswer}
                    tone="warn"
                    testid="server-errors"
                  />
                  <td class="num" data-testid="pending">
                    {count(d.deliveries.pending ?? 0)}
                  </td>
                  <td class="num" data-testid="dead">
                    {count(d.deliveries.dead ?? 0)}
                  </td>
                  <td class="num" data-testid="delivered">
                    {count(d.deliveries.delivered ?? 0)}
                  </td>
                  <td class="num" data-testid="skipped">
                    {count(d.deliveries.skipped ?? 0)}
                  </td>
                </tr>
              ))}
            </Table>
            <p class="muted small">
              Counted from the database: the same after a restart. Partner answers are kept for 8 days.
            </p>
          </>
        )
      }
    </Show>
  );
}

const PAGE = 25;

function Accuracy() {
  const [latest, ready] = useLatestDay();
  const [chosen, setChosen] = useState<Period | undefined>();
  const period = chosen ?? lastDays(latest, 30);
  const [destination, setDestination] = useState('');
  const [offset, setOffset] = useState(0);
  const [loaded] = useApi<AccuracyReport>(
    ready ? `/admin/v1/reports/accuracy${query({ ...period, destination, offset, limit: PAGE })}` : null,
  );
  const choose = (p: Period) => {
    setChosen(p);
    setOffset(0);
  };
  return (
    <>
      <PeriodPicker period={period} latest={latest} onChange={choose} />
      <Show loaded={loaded}>
        {(report) => {
          const reasons = [...new Set(report.destinations.flatMap((d) => Object.keys(d.reasons)))];
          return (
            <div data-testid="accuracy" data-from={report.from} data-to={report.to}>
              <p class="lede">
                Reclaim saw <strong data-testid="orders-seen">{count(report.orders.seen)}</strong> orders:{' '}
                {count(report.orders.fromShopify)} reported by Shopify, {count(report.orders.fromBrowser)} by
                the storefront pixel, {count(report.orders.fromBoth)} by both (each order counted once).
              </p>
              <div class="figures">
                {report.destinations.map((d) => (
                  <Figure
                    key={d.destination}
                    label={`${d.title}: ${d.event}`}
                    value={d.accuracy === null ? (d.enabled ? '–' : 'Off') : `${d.accuracy} %`}
                    tone={d.accuracy === null ? '' : d.accuracy >= 90 ? 'good' : 'bad'}
                    hint={
                      d.enabled
                        ? `${count(d.sent)} of ${count(report.orders.seen)} sent${d.paused ? ' (paused)' : ''}`
                        : 'not connected'
                    }
                    testid={`accuracy-${d.destination}`}
                  />
                ))}
              </div>
              {reasons.length > 0 && (
                <Table
                  head={['Why an order was not sent', ...report.destinations.map((d) => d.title)]}
                  testid="accuracy-reasons"
                >
                  {reasons.map((r) => (
                    <tr key={r} data-reason={r}>
                      <th scope="row">{reasonWords(r)}</th>
                      {report.destinations.map((d) => (
                        <td key={d.destination} class="num" data-destination={d.destination}>
                          {count((Object.hasOwn(d.reasons, r) && d.reasons[r]) || 0)}
                        </td>
                      ))}
                    </tr>
                  ))}
                </Table>
              )}
              <h3>Orders not sent</h3>
              <label>
                Destination{' '}
                <select
                  value={destination}
                  onChange={(e) => {
                    setDestination(e.currentTarget.value);
                    setOffset(0);
                  }}
                >
                  <option value="">All connected</option>
                  {report.destinations.map((d) => (
                    <option key={d.destination} value={d.destination}>
                      {d.title}
                    </option>
                  ))}
                </select>
              </label>
              {report.missing.total === 0 ? (
                <p class="muted">
                  {report.destinations.some((d) => d.enabled)
                    ? 'Every order was sent.'
                    : 'No conversion destination is connected: set META_* or GA4_* (see Setup).'}
                </p>
              ) : (
                <>
                  <Table head={['Order', 'Placed', 'Destination', 'Why not sent']} testid="missing-orders">
                    {report.missing.orders.map((o) => (
                      <tr key={`${o.destination}:${o.orderId}`}>
                        <td>
                          <code>{o.orderId}</code>
                        </td>
                        <td class="nowrap">{when(o.at)}</td>
                        <td>{destinationName(o.destination)}</td>
                        <td>
                          {reasonWords(o.reason)}
                          {o.error && (
                            <div class="muted small">
                              {o.error.status ? `HTTP ${o.error.status}: ` : ''}
                              {o.error.message}
                            </div>
                          )}
                        </td>
                      </tr>
                    ))}
                  </Table>
                  <p class="pager">
                    <span data-testid="missing-range">
                      {count(report.missing.offset + 1)}–
                      {count(report.missing.offset + report.missing.orders.length)} of{' '}
                      {count(report.missing.total)}
                    </span>{' '}
                    <button
                      type="button"
                      disabled={report.missing.offset === 0}
                      onClick={() => setOffset(Math.max(0, report.missing.offset - PAGE))}
                    >
                      Previous
                    </button>{' '}
                    <button
                      type="button"
                      disabled={report.missing.nextOffset === null}
                      onClick={() => setOffset(report.missing.nextOffset ?? report.missing.offset)}
                    >
                      Next
                    </button>
                  </p>
                </>
              )}
            </div>
          );
        }}
      </Show>
    </>
  );
}

function DeadLetters() {
  const [loaded, reload] = useApi<{ deliveries: Delivery[] }>('/admin/v1/deliveries?status=dead&limit=100');
  const [message, setMessage] = useState<string | undefined>();
  const act = async (id: string, action: 'retry' | 'drop') => {
    try {
      await post(`/admin/v1/deliveries/${encodeURIComponent(id)}/${action}`);
      setMessage(action === 'retry' ? `Delivery ${id} queued again.` : `Delivery ${id} dropped.`);
    } catch (e) {
      setMessage(e instanceof Error ? e.message : String(e));
    }
    reload();
  };
  return (
    <>
      {message && (
        <p class="note" role="status">
          {message}
        </p>
      )}
      <Show loaded={loaded}>
        {({ deliveries }) =>
          deliveries.length === 0 ? (
            <p class="muted">No dead letters.</p>
          ) : (
            <Table
              head={['Failed', 'Destination', 'Kind', 'Attempts', 'Last error', '']}
              testid="dead-letters"
            >
              {deliveries.map((d) => (
                <tr key={d.id} data-delivery={d.id}>
                  <td class="nowrap">{when(d.updatedAt)}</td>
                  <td>{d.destination}</td>
                  <td>{d.kind}</td>
                  <td class="num">{d.attempts}</td>
                  <td>
                    {d.lastError ? (
                      <>
                        <code>{d.lastError.kind ?? 'error'}</code>{' '}
                        {d.lastError.status && `HTTP ${d.lastError.status}`}
                        <div class="muted small">{d.lastError.message}</div>
                      </>
                    ) : (
                      '–'
                    )}
                  </td>
                  <td class="actions">
                    <button type="button" onClick={() => void act(d.id, 'retry')}>
                      Retry
                    </button>
                    <button type="button" class="danger" onClick={() => void act(d.id, 'drop')}>
                      Drop
                    </button>
                  </td>
                </tr>
              ))}
            </Table>
          )
        }
      </Show>
    </>
  );
}

function Triggers() {
  const [stage, setStage] = useState('');
  const [loaded] = useApi<{ triggers: TriggerSummary[] }>(
    `/admin/v1/triggers?limit=100${stage ? `&stage=${stage}` : ''}`,
  );
  return (
    <>
      <label>
        Stage{' '}
        <select value={stage} onChange={(e) => setStage(e.currentTarget.value)}>
          <option value="">All</option>
          <option value="browse">Browse</option>
          <option value="cart">Cart</option>
          <option value="checkout">Checkout</option>
        </select>
      </label>
      <Show loaded={loaded}>
        {({ triggers }) =>
          triggers.length === 0 ? (
            <p class="muted">No triggers fired yet.</p>
          ) : (
            <Table head={['Fired', 'Stage', 'Recipient', 'Email', 'SMS', 'Deliveries']} testid="triggers">
              {triggers.map((t) => (
                <tr key={t.id}>
                  <td class="nowrap">{when(t.firedAt)}</td>
                  <td>{words(t.stage)}</td>
                  <td>
                    {t.email.recipient ?? t.sms.recipient ?? (
                      <span class="muted">{words(t.email.recipientReason)}</span>
                    )}
                  </td>
                  <td>
                    <Channel decision={t.email} />
                  </td>
                  <td>
                    <Channel decision={t.sms} />
                  </td>
                  <td>
                    {Object.entries(t.deliveries ?? {}).map(([dest, d]) => (
                      <div key={dest}>
                        {dest}{' '}
                        <Pill
                          tone={(Object.hasOwn(STATUS_TONE, d.status) && STATUS_TONE[d.status]) || 'neutral'}
                        >
                          {d.status}
                        </Pill>
                      </div>
                    ))}
                    {Object.keys(t.deliveries ?? {}).length === 0 && <span class="muted">none</span>}
                  </td>
                </tr>
              ))}
            </Table>
          )
        }
      </Show>
    </>
  );
}

export function DeliveriesPage() {
  return (
    <div class="grid">
      <Card title="Destinations" wide>
        <Destinations />
      </Card>
      <Card title="Accuracy against Shopify orders" wide>
        <Accuracy />
      </Card>
      <Card title="Dead letters" wide>
        <DeadLetters />
      </Card>
      <Card title="Latest triggers" wide>
        <Triggers />
      </Card>
    </div>
  );
}
