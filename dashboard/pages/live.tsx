import { useEffect, useRef, useState } from 'preact/hooks';
import { get, query } from '../api.ts';
import { count, when, words } from '../format.ts';
import { Card, Pill, Table } from '../ui.tsx';

interface LiveEvent {
  seq: number;
  id: string;
  source: string;
  kind: string;
  name: string;
  eventTime: string;
  receivedAt: string;
  ids: Record<string, string>;
  gate: 'tracked' | 'kept_without_device_ids' | 'not_gated';
}

interface Refusal {
  n: number;
  at: string;
  method: string;
  path: string;
  status: number;
  code: string;
}

interface LiveAnswer {
  events: LiveEvent[];
  refused: Refusal[];
  countedWithoutIdentifiers: { day: string; byKind: Record<string, number> };
}

const SOURCES = ['', 'pixel', 'segment', 'shopify', 'consent', 'admin'];
const GATE_TEXT: Record<LiveEvent['gate'], [string, 'good' | 'warn' | 'neutral']> = {
  tracked: ['Tracked', 'good'],
  kept_without_device_ids: ['Kept without device ids', 'warn'],
  not_gated: ['Not gated', 'neutral'],
};
const KEEP = 200;
const POLL_MS = 2000;

/** Stored events and refused requests as they arrive, polled every two seconds. */
export function LivePage() {
  const [source, setSource] = useState('');
  const [kind, setKind] = useState('');
  const [reveal, setReveal] = useState(false);
  const [paused, setPaused] = useState(false);
  const [events, setEvents] = useState<LiveEvent[]>([]);
  const [refused, setRefused] = useState<Refusal[]>([]);
  const [counted, setCounted] = useState<Record<string, number>>({});
  const [error, setError] = useState<string | undefined>();
  const cursor = useRef<{ after?: number; refusedAfter: number }>({ refusedAfter: 0 });

  useEffect(() => {
    cursor.current = { refusedAfter: cursor.current.refusedAfter };
    setEvents([]);
    let stopped = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const poll = async () => {
      try {
        const answer = await get<LiveAnswer>(
          '/admin/v1/events/live' +
            query({
              after: cursor.current.after,
              refusedAfter: cursor.current.refusedAfter,
              source,
              kind,
              reveal: reveal ? 'true' : undefined,
              limit: cursor.current.after === undefined ? 50 : 500,
            }),
        );
        if (stopped) return;
        setError(undefined);
        if (answer.events.length) {
          cursor.current.after = answer.events.at(-1)!.seq;
          setEvents((before) => [...answer.events.reverse(), ...before].slice(0, KEEP));
        } else if (cursor.current.after === undefined) cursor.current.after = 0;
        if (answer.refused.length) {
          cursor.current.refusedAfter = answer.refused.at(-1)!.n;
          setRefused((before) => [...answer.refused.reverse(), ...before].slice(0, KEEP));
        }
        setCounted(answer.countedWithoutIdentifiers.byKind);
      } catch (e) {
        if (!stopped) setError(e instanceof Error ? e.message : String(e));
      }
      if (!stopped) timer = setTimeout(() => void poll(), POLL_MS);
    };
    if (!paused) void poll();
    return () => {
      stopped = true;
      clearTimeout(timer);
    };
  }, [source, kind, reveal, paused]);

  const countedTotal = Object.values(counted).reduce((a, b) => a + b, 0);
  return (
    <>
      <form class="filters" aria-label="Filter events" onSubmit={(e) => e.preventDefault()}>
        <label>
          Source{' '}
          <select value={source} onChange={(e) => setSource(e.currentTarget.value)}>
            {SOURCES.map((s) => (
              <option key={s} value={s}>
                {s ? words(s) : 'All'}
              </option>
            ))}
          </select>
        </label>
        <label>
          Kind{' '}
          <input
            value={kind}
            placeholder="page_view"
            onChange={(e) => setKind(e.currentTarget.value.trim())}
          />
        </label>
        <label class="check">
          <input type="checkbox" checked={reveal} onChange={(e) => setReveal(e.currentTarget.checked)} /> Show
          identifiers in clear
        </label>
        <button type="button" class="chip" aria-pressed={paused} onClick={() => setPaused(!paused)}>
          {paused ? 'Resume' : 'Pause'}
        </button>
        <span class="muted small" role="status">
          {paused ? 'Paused' : 'Live: updates every 2 s'}
        </span>
      </form>
      {error && (
        <p class="error" role="alert">
          {error}
        </p>
      )}
      <div class="grid">
        <Card title="Events" wide>
          {events.length === 0 ? (
            <p class="muted">No events yet. Send one from the store and it appears here.</p>
          ) : (
            <Table
              head={['Received', 'Source', 'Event', 'Identifiers', 'Tracking gate']}
              testid="live-events"
            >
              {events.map((e) => (
                <tr key={e.seq}>
                  <td class="nowrap">{when(e.receivedAt)}</td>
                  <td>{e.source}</td>
                  <td>
                    <strong>{e.kind}</strong>
                    {e.name !== e.kind && <div class="muted small">{e.name}</div>}
                  </td>
                  <td class="ids">
                    {Object.entries(e.ids).map(([k, v]) => (
                      <div key={k}>
                        <span class="muted">{k}</span> <code>{v}</code>
                      </div>
                    ))}
                  </td>
                  <td>
                    <Pill tone={GATE_TEXT[e.gate][1]}>{GATE_TEXT[e.gate][0]}</Pill>
                  </td>
                </tr>
              ))}
            </Table>
          )}
          <p class="muted small">
            Today {count(countedTotal)} storefront events were only counted, without identifiers, because the
            visitor had not allowed tracking.
          </p>
        </Card>
        <Card title="Refused requests" wide>
          {refused.length === 0 ? (
            <p class="muted">No refused requests lately.</p>
          ) : (
            <Table head={['When', 'Request', 'Status', 'Code']} testid="live-refused">
              {refused.map((r) => (
                <tr key={r.n}>
                  <td class="nowrap">{when(r.at)}</td>
                  <td>
                    <code>
                      {r.method} {r.path}
                    </code>
                  </td>
                  <td class="num">{r.status}</td>
                  <td>
                    <code>{r.code}</code>
                  </td>
                </tr>
              ))}
            </Table>
          )}
        </Card>
      </div>
    </>
  );
}
