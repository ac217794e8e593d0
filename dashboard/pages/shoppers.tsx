import { useRef, useState } from 'preact/hooks';
import { ApiFailure, get, post, query } from '../api.ts';
import { when, words } from '../format.ts';
import { Card, Pill, Table } from '../ui.tsx';

interface LedgerRecord {
  recordId: string;
  permission: string;
  action: string;
  basis: string;
  occurredAt: string;
  capture: { source: string; pageUrl?: string };
  wording: { id?: string; text?: string };
  jurisdiction: { regime: string; country?: string };
  missing?: boolean;
}

interface Decision {
  allowed?: boolean;
  basis?: string;
  reason?: string;
  defer?: string;
}

interface Explained {
  trigger: { id: string; stage: string; firedAt: string; value?: string; currency?: string };
  why: {
    jurisdiction: { regime: string; country?: string };
    email: { decision: Decision; recipient: { value?: string; refused?: string }; records: LedgerRecord[] };
    sms: { decision: Decision; recipient: { value?: string; refused?: string }; records: LedgerRecord[] };
  };
  deliveries?: Record<string, { status: string; deliveredAt: string | null }>;
}

interface Profile {
  id: string;
  createdAt: string;
  identifiers: { type: string; value: string; status: string; firstSeen: string; lastSeen: string }[];
  timeline: { id: string; kind: string; name: string; source: string; eventTime: string }[];
  consents?: { states: { subject: string; permission: string; state: { state?: string; basis?: string } }[] };
  journeys?: { triggers: { id: string; stage: string; firedAt: string }[] };
}

const LOOKUPS = [
  ['email', 'Email'],
  ['phone', 'Phone'],
  ['customer_id', 'Shopify customer id'],
] as const;

const ACTION_WORDS: Record<string, string> = {
  grant: 'agreed to',
  deny: 'declined',
  withdraw: 'withdrew',
  object: 'objected to',
  soft_optin_established: 'gave their details in a purchase, establishing a soft opt-in for',
  implied_ebr_established: 'bought, establishing implied consent for',
  gpc_signal: 'sent a Global Privacy Control signal about',
  expired: 'let lapse',
};

/** One channel's decision, in a sentence a privacy owner can read out. */
function ChannelWhy(props: { channel: 'Email' | 'SMS'; part: Explained['why']['email'] }) {
  const { decision, recipient, records } = props.part;
  const to = recipient.value ? ` to ${recipient.value}` : '';
  if (!decision.allowed && !decision.defer)
    return (
      <li>
        <strong>{props.channel}</strong>: not sent{to} —{' '}
        {words(decision.reason ?? recipient.refused ?? 'not allowed')}.
      </li>
    );
  return (
    <li>
      <strong>{props.channel}</strong>: allowed{to} on the basis of{' '}
      <em>{words(decision.basis ?? 'consent')}</em>
      {records.length > 0 ? ', because:' : '.'}
      {records.length > 0 && (
        <ul>
          {records.map((r) =>
            r.missing ? (
              <li key={r.recordId}>ledger record {r.recordId} (no longer held)</li>
            ) : (
              <li key={r.recordId}>
                on {when(r.occurredAt)} the shopper{' '}
                {(Object.hasOwn(ACTION_WORDS, r.action) && ACTION_WORDS[r.action]) || words(r.action)}{' '}
                {words(r.permission).toLowerCase()} via {r.capture.source}
                {r.wording.text && <> (shown: “{r.wording.text}”)</>}, under {r.jurisdiction.regime} rules
                {r.jurisdiction.country && ` (${r.jurisdiction.country})`}.
              </li>
            ),
          )}
        </ul>
      )}
    </li>
  );
}

function Why(props: { triggerId: string }) {
  const [explained, setExplained] = useState<Explained | string | undefined>();
  const load = async () => {
    try {
      setExplained(await get<Explained>(`/admin/v1/triggers/${encodeURIComponent(props.triggerId)}`));
    } catch (e) {
      setExplained(e instanceof Error ? e.message : String(e));
    }
  };
  if (explained === undefined)
    return (
      <button type="button" onClick={() => void load()}>
        Why was this sent?
      </button>
    );
  if (typeof explained === 'string') return <p class="error">{explained}</p>;
  const { trigger, why, deliveries } = explained;
  return (
    <div class="why" data-testid="why">
      <p>
        On <strong>{when(trigger.firedAt)}</strong> the shopper's {trigger.stage} was abandoned and Reclaim
        fired a {trigger.stage}-abandonment trigger under {why.jurisdiction.regime} rules
        {why.jurisdiction.country && ` (${why.jurisdiction.country})`}.
      </p>
      <ul>
        <ChannelWhy channel="Email" part={why.email} />
        <ChannelWhy channel="SMS" part={why.sms} />
      </ul>
      {deliveries && Object.keys(deliveries).length > 0 && (
        <p>
          Delivered:{' '}
          {Object.entries(deliveries)
            .map(([d, s]) => `${d} ${s.status}${s.deliveredAt ? ` on ${when(s.deliveredAt)}` : ''}`)
            .join('; ')}
          .
        </p>
      )}
    </div>
  );
}

function ProfileView(props: { profile: Profile; onErased: (message: string) => void }) {
  const { profile } = props;
  const dialog = useRef<HTMLDialogElement>(null);
  const [status, setStatus] = useState<string | undefined>();
  const exportData = async () => {
    setStatus('Preparing the export…');
    try {
      const done = await post<{ status: string; url: string; exportId: string }>(
        `/admin/v1/profiles/${encodeURIComponent(profile.id)}/export`,
      );
      if (done.status !== 'ready') {
        setStatus(`Export ${done.exportId} is being prepared; it will be listed under /admin/v1/exports.`);
        return;
      }
      const body = await get<unknown>(done.url);
      const link = document.createElement('a');
      link.href = URL.createObjectURL(
        new Blob([JSON.stringify(body, null, 2)], { type: 'application/json' }),
      );
      link.download = `reclaim-export-${profile.id}.json`;
      link.click();
      setStatus('Export downloaded.');
    } catch (e) {
      setStatus(e instanceof Error ? e.message : String(e));
    }
  };
  const erase = async () => {
    dialog.current?.close();
    try {
      const done = await post<{ status: string; receipt?: { id: string } }>(
        `/admin/v1/profiles/${encodeURIComponent(profile.id)}/erase`,
      );
      props.onErased(
        done.status === 'erased'
          ? `Shopper erased everywhere (receipt ${done.receipt?.id ?? ''}). Deletion was requested downstream.`
          : 'Erasure accepted; it completes in the background.',
      );
    } catch (e) {
      setStatus(e instanceof Error ? e.message : String(e));
    }
  };
  const triggers = profile.journeys?.triggers ?? [];
  const states = profile.consents?.states ?? [];
  return (
    <div class="grid" data-testid="profile">
      <Card title="Identifiers">
        <Table head={['Type', 'Value', 'Last seen']}>
          {profile.identifiers.map((i) => (
            <tr key={`${i.type}:${i.value}`}>
              <td>{i.type}</td>
              <td>
                <code>{i.value}</code> {i.status !== 'active' && <Pill tone="warn">{i.status}</Pill>}
              </td>
              <td class="nowrap">{when(i.lastSeen)}</td>
            </tr>
          ))}
        </Table>
      </Card>
      <Card title="Consents">
        {states.length === 0 ? (
          <p class="muted">No consent recorded.</p>
        ) : (
          <Table head={['Subject', 'Permission', 'State']}>
            {states.map((s) => (
              <tr key={`${s.subject}:${s.permission}`}>
                <td>
                  <code>{s.subject}</code>
                </td>
                <td>{words(s.permission)}</td>
                <td>{words(String(s.state.state ?? s.state.basis ?? JSON.stringify(s.state)))}</td>
              </tr>
            ))}
          </Table>
        )}
      </Card>
      <Card title="Messages Reclaim triggered" wide>
        {triggers.length === 0 ? (
          <p class="muted">No abandonment trigger for this shopper.</p>
        ) : (
          <ul class="plain">
            {triggers.map((t) => (
              <li key={t.id}>
                <strong>{words(t.stage)} abandonment</strong> on {when(t.firedAt)} <Why triggerId={t.id} />
              </li>
            ))}
          </ul>
        )}
      </Card>
      <Card title="Timeline" wide>
        <Table head={['When', 'Event', 'Source']}>
          {profile.timeline.slice(0, 50).map((e) => (
            <tr key={e.id}>
              <td class="nowrap">{when(e.eventTime)}</td>
              <td>
                {e.kind} <span class="muted small">{e.name !== e.kind && e.name}</span>
              </td>
              <td>{e.source}</td>
            </tr>
          ))}
        </Table>
      </Card>
      <Card title="Data-subject rights" wide>
        <div class="actions">
          <button type="button" onClick={() => void exportData()}>
            Export this shopper's data
          </button>
          <button type="button" class="danger" onClick={() => dialog.current?.showModal()}>
            Erase this shopper…
          </button>
        </div>
        {status && (
          <p class="note" role="status">
            {status}
          </p>
        )}
        <dialog ref={dialog} aria-labelledby="erase-title">
          <h2 id="erase-title">Erase this shopper?</h2>
          <p>
            Everything Reclaim holds about this shopper is deleted and Klaviyo is asked to delete them too.
            Consent records stay, without the identifiers. This cannot be undone.
          </p>
          <div class="actions">
            <button type="button" onClick={() => dialog.current?.close()}>
              Cancel
            </button>
            <button type="button" class="danger" onClick={() => void erase()}>
              Erase everywhere
            </button>
          </div>
        </dialog>
      </Card>
    </div>
  );
}

export function ShoppersPage() {
  const [type, setType] = useState<string>('email');
  const [value, setValue] = useState('');
  const [profile, setProfile] = useState<Profile | undefined>();
  const [message, setMessage] = useState<string | undefined>();
  const lookup = async (e: Event) => {
    e.preventDefault();
    setMessage(undefined);
    setProfile(undefined);
    try {
      setProfile(await get<Profile>(`/admin/v1/profiles/lookup${query({ [type]: value.trim() })}`));
    } catch (err) {
      setMessage(
        err instanceof ApiFailure && err.status === 404
          ? 'No shopper found with that identifier.'
          : String(err instanceof Error ? err.message : err),
      );
    }
  };
  return (
    <>
      <form class="filters" role="search" aria-label="Find a shopper" onSubmit={(e) => void lookup(e)}>
        <label>
          Find by{' '}
          <select value={type} onChange={(e) => setType(e.currentTarget.value)}>
            {LOOKUPS.map(([k, label]) => (
              <option key={k} value={k}>
                {label}
              </option>
            ))}
          </select>
        </label>
        <label>
          <span class="visually-hidden">Identifier</span>
          <input
            value={value}
            required
            onInput={(e) => setValue(e.currentTarget.value)}
            placeholder="ann@example.com"
          />
        </label>
        <button type="submit" class="primary">
          Look up
        </button>
      </form>
      {message && (
        <p class="note" role="status">
          {message}
        </p>
      )}
      {profile && (
        <ProfileView
          key={profile.id}
          profile={profile}
          onErased={(m) => {
            setProfile(undefined);
            setMessage(m);
          }}
        />
      )}
    </>
  );
}
