import { useMemo, useState } from 'preact/hooks';
import { query } from '../api.ts';
import { count, money, percent, words } from '../format.ts';
import type { GapReport, StageDays } from '../types.ts';
import { lastDays, PeriodPicker, useLatestDay, type Period } from '../period.tsx';
import { Bars, Card, DayChart, Figure, Show, useApi } from '../ui.tsx';

function Report(props: { report: GapReport; stages: StageDays | undefined }) {
  const { report } = props;
  const t = report.total;
  const days = useMemo(() => report.days.map((d) => d.day), [report]);
  const gapSeries = useMemo(
    () => [
      { label: 'Klaviyo likely saw', values: report.days.map((d) => d.klaviyoLikelySaw), color: '#94a3b8' },
      {
        label: 'Reclaim reached beyond Klaviyo',
        values: report.days.map((d) => d.recovered),
        color: '#16a34a',
      },
      { label: 'Lost', values: report.days.map((d) => d.lost), color: '#dc2626' },
    ],
    [report],
  );
  const stageSeries = useMemo(
    () =>
      props.stages
        ? (['browse', 'cart', 'checkout'] as const).map((s, i) => ({
            label: words(s),
            values: props.stages!.days.map((d) => d[s]),
            color: ['#2563eb', '#f59e0b', '#7c3aed'][i],
          }))
        : [],
    [props.stages],
  );
  const lostReasons = [
    ...Object.entries(t.klaviyoMissed).map(([k, v]) => ({ label: `Klaviyo missed: ${words(k)}`, value: v })),
  ].filter((r) => r.value > 0);
  const notSent = Object.entries(t.notSent)
    .map(([k, v]) => ({ label: words(k), value: v, tone: k === 'pending' ? 'warn' : 'bad' }))
    .filter((r) => r.value > 0);
  return (
    <div data-testid="gap-report" data-from={report.from} data-to={report.to}>
      <p class="lede">
        Of <strong>{count(t.abandoned)}</strong> shoppers who abandoned, Klaviyo's own tracking likely saw{' '}
        <strong>{count(t.klaviyoLikelySaw)}</strong> ({percent(t.klaviyoLikelySaw, t.abandoned)}). Reclaim
        reached <strong>{count(t.recovered)}</strong> more that Klaviyo would have missed;{' '}
        <strong>{count(t.lost)}</strong> were reached by neither.
      </p>
      <div class="figures">
        <Figure label="Abandoners" value={count(t.abandoned)} testid="fig-abandoned" />
        <Figure
          label="Klaviyo likely saw"
          value={count(t.klaviyoLikelySaw)}
          hint={percent(t.klaviyoLikelySaw, t.abandoned)}
          testid="fig-klaviyo"
        />
        <Figure
          label="Reclaim reached beyond Klaviyo"
          value={count(t.recovered)}
          tone="good"
          hint={`${count(t.reclaimSent)} sent in all`}
          testid="fig-recovered"
        />
        <Figure label="Lost" value={count(t.lost)} tone="bad" hint="reached by neither" testid="fig-lost" />
        <Figure
          label="Revenue after Reclaim sends"
          value={money(t.revenue.byCurrency)}
          hint={`${count(t.revenue.orders)} orders`}
          testid="fig-revenue"
        />
        <Figure
          label="…of which Klaviyo would have missed"
          value={money(t.recoveredRevenue.byCurrency)}
          tone="good"
          hint={`${count(t.recoveredRevenue.orders)} orders`}
          testid="fig-recovered-revenue"
        />
      </div>
      <div class="grid">
        <Card title="Abandonment episodes by stage">
          {stageSeries.length > 0 ? (
            <DayChart label="Abandonments per day by stage" days={days} series={stageSeries} />
          ) : (
            <p class="muted">Loading…</p>
          )}
        </Card>
        <Card title="Who reached the abandoners">
          <DayChart
            label="Per day: Klaviyo likely saw, Reclaim reached beyond, lost"
            days={days}
            series={gapSeries}
          />
        </Card>
        <Card title="Why Klaviyo's own tracking missed them">
          {lostReasons.length ? (
            <Bars rows={lostReasons} testid="missed-reasons" />
          ) : (
            <p class="muted">Nothing missed.</p>
          )}
        </Card>
        <Card title="Why Reclaim did not send">
          {notSent.length ? (
            <Bars rows={notSent} testid="not-sent-reasons" />
          ) : (
            <p class="muted">Every abandoner was sent.</p>
          )}
        </Card>
        <Card title="By stage" wide>
          <table class="data" data-testid="by-stage">
            <thead>
              <tr>
                <th scope="col">Stage</th>
                <th scope="col">Abandoners</th>
                <th scope="col">Klaviyo likely saw</th>
                <th scope="col">Reclaim reached beyond</th>
                <th scope="col">Lost</th>
                <th scope="col">Revenue after sends</th>
              </tr>
            </thead>
            <tbody>
              {Object.entries(report.byStage).map(([stage, s]) => (
                <tr key={stage}>
                  <th scope="row">{words(stage)}</th>
                  <td class="num">{count(s.abandoned)}</td>
                  <td class="num">{count(s.klaviyoLikelySaw)}</td>
                  <td class="num">{count(s.recovered)}</td>
                  <td class="num">{count(s.lost)}</td>
                  <td class="num">{money(s.revenue.byCurrency)}</td>
                </tr>
              ))}
            </tbody>
          </table>
          {report.untracked.events > 0 && (
            <p class="muted small">
              {count(report.untracked.events)} storefront events came from visitors who had not allowed
              tracking: counted without identifiers, so no journey could be formed from them.
            </p>
          )}
        </Card>
      </div>
    </div>
  );
}

export function OverviewPage() {
  const [latest, ready] = useLatestDay();
  const [chosen, setChosen] = useState<Period | undefined>();
  const period = chosen ?? lastDays(latest, 30);
  const [gap] = useApi<GapReport>(ready ? `/admin/v1/reports/gap${query({ ...period })}` : null);
  const [stages] = useApi<StageDays>(ready ? `/admin/v1/reports/stages-by-day${query({ ...period })}` : null);
  return (
    <>
      <PeriodPicker period={period} latest={latest} onChange={setChosen} />
      <Show loaded={gap}>
        {(report) => <Report report={report} stages={stages.state === 'ok' ? stages.data : undefined} />}
      </Show>
    </>
  );
}
