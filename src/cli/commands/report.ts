import { gapReport } from '../../reports/gap-report.ts';
import { formatGapReport } from '../../reports/gap-report-text.ts';
import { reportPeriod } from '../../reports/report-period.ts';
import { EXIT, parseOptions, UsageError, type Command } from '../command.ts';
import { withRuntime } from '../runtime.ts';

export const reportCommand: Command = {
  name: 'report',
  summary: 'Print the gap report: abandoners Klaviyo saw, Reclaim sent, and why the rest were lost',
  help: `Usage: reclaim report gap [--from DATE] [--to DATE] [--json]

The gap report for the period (ISO-8601 only: 2026-10-01 is a whole UTC day, 2026-10-01T09:30Z or
2026-10-01T11:30+02:00 a moment; 01/10/2026 is refused; default: the last 30 days): abandonments by stage; those Klaviyo's own tracking likely saw, and why it missed
the rest (script blocked, cookie expired, other device, no email in checkout); those Reclaim sent, and
why it did not send the rest (no tracking consent, no messaging permission, no contact); what neither
reached; orders placed within reports.attributionWindow (RECLAIM_ATTRIBUTION_WINDOW, default 5d)
after a send; and behaviour counted without identifiers because tracking was not allowed. Per day.
--json prints what GET /admin/v1/reports/gap answers.`,
  async run(ctx) {
    const { values, positionals } = parseOptions(
      ctx.argv,
      { from: { type: 'string' }, to: { type: 'string' }, json: { type: 'boolean' } },
      true,
    );
    if (positionals.length !== 1 || positionals[0] !== 'gap')
      throw new UsageError('expected: reclaim report gap [--from DATE] [--to DATE] [--json]');
    return withRuntime(ctx, async ({ config, store, clock }) => {
      const period = reportPeriod({ from: values.from, to: values.to }, clock.now());
      if (!period.ok) throw new UsageError(`--${period.message}`);
      const report = await gapReport(store.db, {
        from: period.from,
        to: period.to,
        attributionWindow: config.reports.attributionWindow,
      });
      ctx.stdout.write(values.json ? `${JSON.stringify(report, null, 2)}\n` : `${formatGapReport(report)}\n`);
      return EXIT.OK;
    });
  },
};
