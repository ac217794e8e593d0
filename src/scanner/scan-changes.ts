import type { ScanResult, ScanState, Violation } from './scan-result.ts';
import type { Category } from './vendors.ts';

/** One thing a scan found, as the change list names it: in which state, what, where, whose. */
export interface ScanItem {
  state: ScanState;
  kind: Violation['kind'];
  /** Cookie name, storage key, or the host of a request. */
  name: string;
  host: string;
  vendor: string | null;
  category: Category;
}

/** What appeared and what disappeared between two scans (a new tag is the usual story). */
export interface ScanChanges {
  added: ScanItem[];
  removed: ScanItem[];
}

/** Everything the scan found across its URLs, once each. */
export function scanItems(results: readonly ScanResult[]): ScanItem[] {
  const items = new Map<string, ScanItem>();
  const add = (item: ScanItem) => items.set(`${item.state} ${item.kind} ${item.name} ${item.host}`, item);
  for (const result of results)
    for (const state of ['before', 'reject', 'accept'] as const) {
      const findings = result.states[state];
      for (const c of findings.cookies)
        add({
          state,
          kind: 'cookie',
          name: c.name,
          host: c.domain.replace(/^\./, ''),
          vendor: c.vendor,
          category: c.category,
        });
      for (const s of findings.storage)
        add({
          state,
          kind: 'storage',
          name: s.key,
          host: new URL(s.origin).host,
          vendor: s.vendor,
          category: s.category,
        });
      for (const r of findings.requests)
        add({ state, kind: 'request', name: r.host, host: r.host, vendor: r.vendor, category: r.category });
    }
  return [...items.values()];
}

/**
 * What `current` found that `previous` did not (added) and the reverse (removed). Without a previous scan
 * nothing counts as changed: the first scan is the baseline.
 */
export function scanChanges(
  previous: readonly ScanResult[] | undefined,
  current: readonly ScanResult[],
): ScanChanges {
  if (!previous) return { added: [], removed: [] };
  const id = (i: ScanItem) => `${i.state} ${i.kind} ${i.name} ${i.host}`;
  const before = scanItems(previous);
  const now = scanItems(current);
  const beforeIds = new Set(before.map(id));
  const nowIds = new Set(now.map(id));
  return {
    added: now.filter((i) => !beforeIds.has(id(i))),
    removed: before.filter((i) => !nowIds.has(id(i))),
  };
}
