import type { ScanResult } from './scan-result.ts';

/** The scan for a terminal: per URL the verdict, each violation on one line, then problems. */
export function formatScanText(results: readonly ScanResult[]): string {
  const lines: string[] = [];
  for (const result of results) {
    const count = result.violations.length;
    lines.push(
      `${result.url}  (region ${result.region}, ${result.regime} rules, ${result.pages.length} page${result.pages.length === 1 ? '' : 's'})`,
    );
    lines.push(count === 0 ? '  no violation' : `  ${count} violation${count === 1 ? '' : 's'}:`);
    for (const v of result.violations)
      lines.push(
        `  [${v.state}] ${v.kind} ${v.name}${v.kind === 'request' ? '' : ` (${v.host})`} — ${v.vendor ?? 'unknown vendor'}, ${v.category}; ${v.evidence}; ${v.rule}`,
      );
    const unknown = new Set<string>();
    for (const state of Object.values(result.states)) {
      for (const c of state.cookies)
        if (c.category === 'unknown') unknown.add(`cookie ${c.name} (${c.domain})`);
      for (const s of state.storage)
        if (s.category === 'unknown') unknown.add(`${s.area} storage ${s.key} (${s.origin})`);
      for (const r of state.requests) if (r.category === 'unknown') unknown.add(`request ${r.host}`);
    }
    if (unknown.size > 0) lines.push(`  not classified (check these): ${[...unknown].join(', ')}`);
    for (const error of result.errors) lines.push(`  error: ${error}`);
    for (const note of result.notes ?? []) lines.push(`  note: ${note}`);
  }
  return lines.join('\n');
}
