import { useMemo, useState } from 'preact/hooks';
import { call, query } from '../api.ts';
import { count, when, words } from '../format.ts';
import { Card, DayChart, Pill, Show, Table, useApi } from '../ui.tsx';

interface ListedRecord {
  position: number;
  recordId: string;
  subject: { email?: string; phone?: string; customerId?: string; devices?: string[] } | null;
  permission: string;
  state: string;
  basis: string;
  source: string;
  wording: string | null;
  regime: string;
  country: string | null;
  occurredAt: string;
}

interface Verification {
  ok: boolean;
  records: number;
  checkedAt: string;
  problem?: string;
  detail?: string;
}

/** `GET /admin/v1/consent/rates` (the storefront banner's figures). */
interface Rates {
  days: {
    day: string;
    regime: string;
    impressions: number;
    decisions: number;
    acceptAll: number;
    rejectAll: number;
    custom: number;
  }[];
}

function RatesChart() {
  const [loaded] = useApi<Rates>('/admin/v1/consent/rates');
  return (
    <Show
      loaded={loaded}
      missing="Consent rates are not available yet: they arrive with the storefront consent banner."
    >
      {(rates) => <RatesBody rates={rates} />}
    </Show>
  );
}

function RatesBody(props: { rates: Rates }) {
  const days = useMemo(() => [...new Set(props.rates.days.map((d) => d.day))].sort(), [props.rates]);
  const series = useMemo(() => {
    const sum = (day: string, key: 'acceptAll' | 'rejectAll' | 'custom' | 'impressions') =>
      props.rates.days.filter((d) => d.day === day).reduce((a, d) => a + d[key], 0);
    return [
      { label: 'Accept all', values: days.map((d) => sum(d, 'acceptAll')), color: '#16a34a' },
      { label: 'Reject all', values: days.map((d) => sum(d, 'rejectAll')), color: '#dc2626' },
      { label: 'Custom', values: days.map((d) => sum(d, 'custom')), color: '#f59e0b' },
      { label: 'Banner shown', values: days.map((d) => sum(d, 'impressions')), color: '#94a3b8' },
    ];
  }, [props.rates, days]);
  const regimes = [...new Set(props.rates.days.map((d) => d.regime))];
  if (days.length === 0) return <p class="muted">No banner impressions in this period.</p>;
  return (
    <>
      <DayChart label="Consent decisions per day" days={days} series={series} />
      <Table head={['Regime', 'Shown', 'Decided', 'Accept all', 'Reject all', 'Custom']}>
        {regimes.map((r) => {
          const rows = props.rates.days.filter((d) => d.regime === r);
          const s = (k: 'impressions' | 'decisions' | 'acceptAll' | 'rejectAll' | 'custom') =>
            rows.reduce((a, d) => a + d[k], 0);
          return (
            <tr key={r}>
              <th scope="row">{r}</th>
              <td class="num">{count(s('impressions'))}</td>
              <td class="num">{count(s('decisions'))}</td>
              <td class="num">{count(s('acceptAll'))}</td>
              <td class="num">{count(s('rejectAll'))}</td>
              <td class="num">{count(s('custom'))}</td>
            </tr>
          );
        })}
      </Table>
    </>
  );
}

function VerificationStatus() {
  const [loaded, reload] = useApi<Verification>('/admin/v1/consent/verification');
  return (
    <Show loaded={loaded}>
      {(v) => (
        <div data-testid="verification">
          {v.ok ? (
            <p>
              <Pill tone="good">Intact</Pill> all {count(v.records)} records chain correctly (checked{' '}
              {when(v.checkedAt)}).
            </p>
          ) : (
            <p>
              <Pill tone="bad">{words(v.problem ?? 'broken')}</Pill> {v.detail}
            </p>
          )}
          <button type="button" onClick={reload}>
            Verify again
          </button>
        </div>
      )}
    </Show>
  );
}

export function ConsentPage() {
  const [permission, setPermission] = useState('');
  const [email, setEmail] = useState('');
  const [applied, setApplied] = useState({ permission: '', email: '' });
  const params = query({ permission: applied.permission, email: applied.email, limit: 100 });
  const [loaded] = useApi<{ records: ListedRecord[]; nextCursor: string | null }>(
    `/admin/v1/consent/records${params}`,
  );
  const [csvStatus, setCsvStatus] = useState<string | undefined>();
  const downloadCsv = async () => {
    try {
      const csv = await call<string>(
        'GET',
        `/admin/v1/consent/records${query({ permission: applied.permission, email: applied.email })}`,
        undefined,
        'text/csv',
      );
      const link = document.createElement('a');
      link.href = URL.createObjectURL(new Blob([csv], { type: 'text/csv' }));
      link.download = 'consent-records.csv';
      link.click();
      setCsvStatus(`Downloaded ${count(csv.trim().split('\n').length - 1)} records.`);
    } catch (e) {
      setCsvStatus(e instanceof Error ? e.message : String(e));
    }
  };
  return (
    <div class="grid">
      <Card title="Consent rates by regime and day" wide>
        <RatesChart />
      </Card>
      <Card title="Ledger" wide>
        <form
          class="filters"
          aria-label="Filter the ledger"
          onSubmit={(e) => {
            e.preventDefault();
            setApplied({ permission, email: email.trim() });
          }}
        >
          <label>
            Permission{' '}
            <select value={permission} onChange={(e) => setPermission(e.currentTarget.value)}>
              <option value="">All</option>
              <option value="tracking">Tracking</option>
              <option value="email">Email</option>
              <option value="sms">SMS</option>
            </select>
          </label>
          <label>
            Email <input type="email" value={email} onInput={(e) => setEmail(e.currentTarget.value)} />
          </label>
          <button type="submit">Filter</button>
          <button type="button" class="primary" onClick={() => void downloadCsv()}>
            Export CSV
          </button>
          {csvStatus && (
            <span class="muted small" role="status">
              {csvStatus}
            </span>
          )}
        </form>
        <Show loaded={loaded}>
          {({ records, nextCursor }) =>
            records.length === 0 ? (
              <p class="muted">No records match.</p>
            ) : (
              <>
                <Table
                  head={[
                    '#',
                    'When',
                    'Subject',
                    'Permission',
                    'State',
                    'Basis',
                    'Source',
                    'Regime',
                    'Wording',
                  ]}
                  testid="ledger"
                >
                  {records.map((r) => (
                    <tr key={r.position}>
                      <td class="num">{r.position}</td>
                      <td class="nowrap">{when(r.occurredAt)}</td>
                      <td>
                        {r.subject === null ? (
                          <span class="muted">erased</span>
                        ) : (
                          <code>
                            {r.subject.email ??
                              r.subject.phone ??
                              r.subject.customerId ??
                              r.subject.devices?.[0] ??
                              '–'}
                          </code>
                        )}
                      </td>
                      <td>{words(r.permission)}</td>
                      <td>
                        <Pill
                          tone={
                            r.state === 'granted'
                              ? 'good'
                              : r.state === 'denied' || r.state === 'withdrawn'
                                ? 'bad'
                                : 'neutral'
                          }
                        >
                          {words(r.state)}
                        </Pill>
                      </td>
                      <td>{words(r.basis)}</td>
                      <td>{r.source}</td>
                      <td>
                        {r.regime}
                        {r.country && ` · ${r.country}`}
                      </td>
                      <td class="wording">{r.wording ?? '–'}</td>
                    </tr>
                  ))}
                </Table>
                {nextCursor && (
                  <p class="muted small">Showing the newest 100; the CSV export has them all.</p>
                )}
              </>
            )
          }
        </Show>
      </Card>
      <Card title="Ledger verification" wide>
        <VerificationStatus />
      </Card>
    </div>
  );
}
