import { formatDuration } from '../config/duration.ts';
import { STAGES } from '../journeys/journey.ts';
import type { GapReport } from './gap-report.ts';
import type { AttributedRevenue, GapTally } from './gap-tally.ts';

const number = (n: number) => n.toLocaleString('en-US');
const percent = (part: number, whole: number) =>
  whole === 0 ? '–' : `${((part / whole) * 100).toFixed(1)}%`;

function money(revenue: AttributedRevenue): string {
  const parts = Object.entries(revenue.byCurrency)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(
      ([currency, amount]) =>
        `${currency} ${Number(amount).toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 })}`,
    );
  return `${number(revenue.orders)} orders${parts.length ? `, ${parts.join(' + ')}` : ''}`;
}

function table(head: string[], rows: (string | number)[][]): string {
  const cells = rows.map((r) => r.map((c) => (typeof c === 'number' ? number(c) : c)));
  const widths = head.map((h, i) => Math.max(h.length, ...cells.map((r) => String(r[i]).length)));
  const line = (r: (string | number)[]) =>
    r.map((c, i) => (i === 0 ? String(c).padEnd(widths[i]!) : String(c).padStart(widths[i]!))).join('  ');
  return [line(head), ...cells.map(line)].join('\n');
}

/** The last day a period ending (exclusively) at `to` covers. */
const lastDay = (to: string) => new Date(Date.parse(to) - 1).toISOString().slice(0, 10);

/** The gap report as a terminal shows it: the period by stage, then day by day. */
export function formatGapReport(report: GapReport): string {
  const columns: [string, GapTally][] = [
    ...STAGES.map((s) => [s, report.byStage[s]] as [string, GapTally]),
    ['total', report.total],
  ];
  const row = (label: string, pick: (t: GapTally) => number) => [label, ...columns.map(([, t]) => pick(t))];
  const t = report.total;
  const lines = [
    `Gap report ${report.from.slice(0, 10)} – ${lastDay(report.to)}`,
    '',
    table(
      ['', ...columns.map(([name]) => name)],
      [
        row('abandoned', (x) => x.abandoned),
        row('Klaviyo likely saw', (x) => x.klaviyoLikelySaw),
        row('Klaviyo missed: script blocked', (x) => x.klaviyoMissed.script_blocked),
        row('                cookie expired', (x) => x.klaviyoMissed.cookie_expired),
        row('                other device', (x) => x.klaviyoMissed.other_device),
        row('                no email in checkout', (x) => x.klaviyoMissed.no_email_in_checkout),
        row('                anonymous visitor', (x) => x.klaviyoMissed.anonymous_visitor),
        row('Reclaim sent', (x) => x.reclaimSent),
        row('  of which Klaviyo missed', (x) => x.recovered),
        row('not sent: no tracking consent', (x) => x.notSent.no_tracking_consent),
        row('          no messaging permission', (x) => x.notSent.no_messaging_permission),
        row('          no contact', (x) => x.notSent.no_contact),
        row('          pending', (x) => x.notSent.pending),
        row('          delivery failed', (x) => x.notSent.delivery_failed),
        row('          no destination', (x) => x.notSent.no_destination),
        row('lost (reached by neither)', (x) => x.lost),
      ],
    ),
    '',
    `Klaviyo's own tracking likely saw ${percent(t.klaviyoLikelySaw, t.abandoned)} of abandonments; Reclaim sent ${percent(t.reclaimSent, t.abandoned)}, ` +
      `and ${number(t.recovered)} of those (${percent(t.recovered, t.abandoned)}) were ones Klaviyo missed.`,
    `Orders within ${formatDuration(report.attributionWindowMs)} of a Reclaim send: ${money(t.revenue)}; after a send Klaviyo would not have made: ${money(t.recoveredRevenue)}.`,
    `Behaviour without tracking consent (counted, never linked to anyone): ${number(report.untracked.events)} events` +
      (report.untracked.events
        ? ` (${Object.entries(report.untracked.byKind)
            .sort((a, b) => b[1] - a[1])
            .map(([kind, n]) => `${kind} ${number(n)}`)
            .join(', ')})`
        : '') +
      '.',
    `Held back by the store's rules: ${
      Object.entries(report.suppressed)
        .map(([outcome, n]) => `${outcome} ${number(n)}`)
        .join(', ') || 'none'
    }.`,
    '',
    table(
      [
        'day',
        'abandoned',
        'Klaviyo saw',
        'Reclaim sent',
        'Klaviyo missed, Reclaim sent',
        'lost',
        'orders after a send',
      ],
      report.days
        .filter((d) => d.abandoned > 0 || d.revenue.orders > 0)
        .map((d) => [
          d.day,
          d.abandoned,
          d.klaviyoLikelySaw,
          d.reclaimSent,
          d.recovered,
          d.lost,
          d.revenue.orders,
        ]),
    ),
  ];
  return lines.join('\n');
}
