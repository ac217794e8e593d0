import { useState } from 'preact/hooks';
import { post } from '../api.ts';
import { count, when, words } from '../format.ts';
import type { ChannelDecision, Delivery, Destination, TriggerSummary } from '../types.ts';
import { Card, Pill, Show, Table, useApi } from '../ui.tsx';

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

function Destinations() {
  const [loaded] = useApi<{ destinations: Destination[] }>('/admin/v1/destinations');
  return (
    <Show loaded={loaded}>
      {({ destinations }) =>
        destinations.length === 0 ? (
          <p class="muted">No destination is configured: set KLAVIYO_API_KEY, META_* or GA4_* (see Setup).</p>
        ) : (
          <Table
            head={['Destination', 'State', 'Delivered', 'Pending', 'Dead letters', 'Skipped']}
            testid="destinations"
          >
            {destinations.map((d) => (
              <tr key={d.destination}>
                <th scope="row">{d.destination}</th>
                <td>
                  <Pill tone={!d.enabled ? 'neutral' : d.status === 'active' ? 'good' : 'bad'}>
                    {!d.enabled ? 'Off' : d.status === 'active' ? 'Active' : 'Paused'}
                  </Pill>
                </td>
                <td class="num">{count(d.deliveries.delivered ?? 0)}</td>
                <td class="num">{count(d.deliveries.pending ?? 0)}</td>
                <td class="num">{count(d.deliveries.dead ?? 0)}</td>
                <td class="num">{count(d.deliveries.skipped ?? 0)}</td>
              </tr>
            ))}
          </Table>
        )
      }
    </Show>
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
      <Card title="Dead letters" wide>
        <DeadLetters />
      </Card>
      <Card title="Latest triggers" wide>
        <Triggers />
      </Card>
    </div>
  );
}
