import type { ScanResult, ScanState, StateFindings, Violation } from './scan-result.ts';

const STATE_TITLE: Record<ScanState, string> = {
  before: 'Before any choice',
  reject: 'After “Reject all”',
  accept: 'After “Accept all”',
};

const STATE_EXPLAINED: Record<ScanState, string> = {
  before: 'A first-time visitor who has not answered the cookie banner yet.',
  reject: 'A visitor who pressed “Reject all”: only what was set or sent after the choice is shown.',
  accept: 'A visitor who pressed “Accept all”: only what was set or sent after the choice is shown.',
};

function escape(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function table(headers: string[], rows: string[][], empty: string): string {
  if (rows.length === 0) return `<p class="empty">${escape(empty)}</p>`;
  const head = headers.map((h) => `<th>${escape(h)}</th>`).join('');
  const body = rows.map((r) => `<tr>${r.map((cell) => `<td>${cell}</td>`).join('')}</tr>`).join('\n');
  return `<table><thead><tr>${head}</tr></thead><tbody>\n${body}\n</tbody></table>`;
}

const tag = (category: string) => `<span class="tag ${escape(category)}">${escape(category)}</span>`;
const code = (text: string) => `<code>${escape(text)}</code>`;

function violationRows(violations: Violation[]): string[][] {
  return violations.map((v) => [
    escape(STATE_TITLE[v.state]),
    `${escape(v.kind)} ${code(v.name)}${v.kind === 'request' ? '' : ` on ${escape(v.host)}`}`,
    escape(v.vendor ?? 'unknown vendor'),
    tag(v.category),
    `<span class="evidence">${escape(v.evidence)}</span>`,
    escape(v.rule),
  ]);
}

function stateSection(state: ScanState, findings: StateFindings): string {
  const cookies = table(
    ['Cookie', 'Domain', 'Party', 'Vendor', 'Category', 'Set by'],
    findings.cookies.map((c) => [
      code(c.name),
      escape(c.domain),
      c.party,
      escape(c.vendor ?? '—'),
      tag(c.category),
      `<span class="evidence">${escape(c.setBy)}</span>`,
    ]),
    'No cookies.',
  );
  const storage = table(
    ['Key', 'Storage', 'Origin', 'Vendor', 'Category'],
    findings.storage.map((s) => [
      code(s.key),
      s.area,
      escape(s.origin),
      escape(s.vendor ?? '—'),
      tag(s.category),
    ]),
    'No local or session storage.',
  );
  const requests = table(
    ['Host', 'Requests', 'Vendor', 'Category', 'First started by'],
    findings.requests.map((r) => [
      code(r.host),
      String(r.count),
      escape(r.vendor ?? '—'),
      tag(r.category),
      `<span class="evidence">${escape(r.initiator)}</span>`,
    ]),
    'No requests to other sites.',
  );
  const choice = findings.choice ? `<p>Pressed: ${escape(findings.choice)}</p>` : '';
  if (state !== 'before' && !findings.choice)
    return `<section class="state"><h3>${escape(STATE_TITLE[state])}</h3><p class="empty">Not tested: the scanner found no “${state === 'reject' ? 'Reject all' : 'Accept all'}” button on the page.</p></section>`;
  return `<section class="state"><h3>${escape(STATE_TITLE[state])}</h3><p class="muted">${escape(STATE_EXPLAINED[state])}</p>${choice}
<h4>Cookies</h4>${cookies}<h4>Storage</h4>${storage}<h4>Requests to other sites</h4>${requests}</section>`;
}

function unknownRows(result: ScanResult): string[][] {
  const rows: string[][] = [];
  const seen = new Set<string>();
  for (const state of ['before', 'reject', 'accept'] as const) {
    const f = result.states[state];
    const add = (kind: string, name: string, where: string) => {
      const id = `${kind} ${name} ${where}`;
      if (seen.has(id)) return;
      seen.add(id);
      rows.push([escape(kind), code(name), escape(where), escape(STATE_TITLE[state])]);
    };
    for (const c of f.cookies) if (c.category === 'unknown') add('cookie', c.name, c.domain);
    for (const s of f.storage) if (s.category === 'unknown') add(`${s.area} storage`, s.key, s.origin);
    for (const r of f.requests) if (r.category === 'unknown') add('request', r.host, r.initiator);
  }
  return rows;
}

function resultSection(result: ScanResult): string {
  const count = result.violations.length;
  const verdict =
    result.errors.length > 0 && count === 0
      ? `<p class="verdict warn">The scan could not finish: see the problems below.</p>`
      : count === 0
        ? `<p class="verdict ok">No violation found for a visitor from ${escape(result.region)} (${escape(result.regime)} rules).</p>`
        : `<p class="verdict bad">${count} violation${count === 1 ? '' : 's'} for a visitor from ${escape(result.region)} (${escape(result.regime)} rules).</p>`;
  const problems = [
    ...result.errors.map((e) => `<li class="error">${escape(e)}</li>`),
    ...(result.notes ?? []).map((n) => `<li>${escape(n)}</li>`),
  ];
  return `<article>
<h2>${escape(result.url)}</h2>
${verdict}
<p class="muted">Pages visited: ${result.pages.map((p) => escape(p)).join(', ') || 'none'}</p>
${problems.length > 0 ? `<h3>Problems and notes</h3><ul>${problems.join('')}</ul>` : ''}
<h3>Violations</h3>
${table(['When', 'What', 'Vendor', 'Category', 'Evidence', 'Rule'], violationRows(result.violations), 'None.')}
<h3>Not classified: please check these</h3>
<p class="muted">Not counted as violations. A cookie or host the scanner does not know may be harmless or may be a tracker.</p>
${table(['Kind', 'Name', 'Where', 'First seen'], unknownRows(result), 'Everything found is classified.')}
${(['before', 'reject', 'accept'] as const).map((s) => stateSection(s, result.states[s])).join('\n')}
</article>`;
}

const STYLE = `
body{font:15px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#1c1c1c;margin:0;background:#f6f6f4}
main{max-width:1100px;margin:0 auto;padding:24px}
header{border-bottom:1px solid #ddd;margin-bottom:16px}
h1{font-size:24px;margin:0 0 4px} h2{font-size:20px;margin-top:32px;word-break:break-all}
h3{font-size:17px;margin:24px 0 8px} h4{font-size:15px;margin:16px 0 6px}
article{background:#fff;border:1px solid #e2e2e2;border-radius:8px;padding:8px 20px 20px;margin-bottom:24px}
table{border-collapse:collapse;width:100%;font-size:13px;margin-bottom:8px}
th,td{text-align:left;padding:6px 8px;border-bottom:1px solid #eee;vertical-align:top}
th{background:#fafafa;font-weight:600}
code{font:12px/1.4 ui-monospace,Menlo,Consolas,monospace;background:#f1f1ef;padding:1px 4px;border-radius:3px;word-break:break-all}
.evidence{word-break:break-all;color:#444}
.muted{color:#666;font-size:13px} .empty{color:#666;font-style:italic}
.verdict{font-weight:600;padding:10px 14px;border-radius:6px}
.verdict.ok{background:#e6f4ea;color:#0d5323} .verdict.bad{background:#fde7e7;color:#8a1111} .verdict.warn{background:#fff4d6;color:#6b4e00}
.tag{display:inline-block;padding:0 6px;border-radius:10px;font-size:12px;border:1px solid #ccc}
.tag.marketing{background:#fde7e7;border-color:#f2b8b8} .tag.analytics{background:#fff1d6;border-color:#efd39a}
.tag.preferences{background:#e8f0fe;border-color:#b9cdf5} .tag.necessary{background:#e6f4ea;border-color:#b5dcc0}
.tag.unknown{background:#eee}
li.error{color:#8a1111}
@media print{body{background:#fff} article{border:none}}`;

/**
 * The scan as one HTML file a store owner can read and forward: no script, no external asset, every style
 * inline, every value escaped.
 */
export function renderScanHtml(results: readonly ScanResult[], generatedAt: Date): string {
  const total = results.reduce((n, r) => n + r.violations.length, 0);
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>Reclaim consent scan: ${total} violation${total === 1 ? '' : 's'}</title>
<style>${STYLE}</style></head>
<body><main>
<header><h1>What your store sets and sends before and after consent</h1>
<p class="muted">Reclaim consent scan, ${escape(generatedAt.toISOString())}. Each page was opened three times in a fresh browser:
without answering the cookie banner, after “Reject all” and after “Accept all”. Rules: RULES.md of Reclaim (not legal advice).</p></header>
${results.map(resultSection).join('\n')}
</main></body></html>
`;
}
