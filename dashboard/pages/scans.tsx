import { when } from '../format.ts';
import { Card, Pill, Show, Table, useApi } from '../ui.tsx';

interface Change {
  state: string;
  kind: string;
  name: string;
  host: string;
  vendor: string | null;
  category: string;
}

interface Scan {
  id: string;
  startedAt: string;
  finishedAt: string | null;
  region: string | null;
  urls: string[];
  violations: number;
  results: {
    url: string;
    regime?: string;
    violations: {
      state: string;
      kind: string;
      name: string;
      host: string;
      vendor?: string;
      category: string;
      rule: string;
    }[];
  }[];
  changes: { added: Change[]; removed: Change[] };
}

function Changes(props: { title: string; items: Change[]; tone: 'bad' | 'good' }) {
  if (props.items.length === 0) return null;
  return (
    <>
      <h3>{props.title}</h3>
      <Table head={['State', 'Kind', 'Name', 'Host', 'Vendor', 'Category']}>
        {props.items.map((c, i) => (
          <tr key={i}>
            <td>{c.state}</td>
            <td>{c.kind}</td>
            <td>
              <code>{c.name}</code>
            </td>
            <td>{c.host}</td>
            <td>{c.vendor ?? '–'}</td>
            <td>
              <Pill tone={props.tone}>{c.category}</Pill>
            </td>
          </tr>
        ))}
      </Table>
    </>
  );
}

/** The storefront scanner's latest runs and what changed since the one before. */
export function ScansPage() {
  const [loaded] = useApi<{ scans: Scan[] }>('/admin/v1/scans?limit=10');
  return (
    <Show
      loaded={loaded}
      missing="Scan results are not available yet: they arrive with the storefront scanner (npx reclaim scan)."
    >
      {({ scans }) =>
        scans.length === 0 ? (
          <p class="muted">No scan has run yet. Run npx reclaim scan https://your-store.example.</p>
        ) : (
          <div class="grid">
            {scans.map((s, i) => (
              <Card key={s.id} title={`${i === 0 ? 'Latest scan' : 'Scan'} · ${when(s.startedAt)}`} wide>
                <p>
                  {s.violations === 0 ? (
                    <Pill tone="good">No violation</Pill>
                  ) : (
                    <Pill tone="bad">
                      {s.violations} violation{s.violations === 1 ? '' : 's'}
                    </Pill>
                  )}{' '}
                  {s.urls.join(', ')} {s.region && `from ${s.region}`}
                </p>
                {s.results.flatMap((r) => r.violations).length > 0 && (
                  <Table head={['State', 'Kind', 'Name', 'Host', 'Category', 'Rule']}>
                    {s.results.flatMap((r) =>
                      r.violations.map((v, j) => (
                        <tr key={`${r.url}:${j}`}>
                          <td>{v.state}</td>
                          <td>{v.kind}</td>
                          <td>
                            <code>{v.name}</code>
                          </td>
                          <td>{v.host}</td>
                          <td>{v.category}</td>
                          <td>{v.rule}</td>
                        </tr>
                      )),
                    )}
                  </Table>
                )}
                <Changes title="New since the scan before" items={s.changes.added} tone="bad" />
                <Changes title="Gone since the scan before" items={s.changes.removed} tone="good" />
              </Card>
            ))}
          </div>
        )
      }
    </Show>
  );
}
