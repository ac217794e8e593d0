/** The period picker the report pages share, and the day their presets end on. */
import type { TriggerSummary } from './types.ts';
import { useApi } from './ui.tsx';

const DAY = 86_400_000;
const dayOf = (ms: number) => new Date(ms).toISOString().slice(0, 10);

/** A period as the report endpoints take it: whole UTC days, `to` inclusive. */
export interface Period {
  from: string;
  to: string;
}

/** The last `days` days up to `end` (a day, inclusive). */
export const lastDays = (end: string, days: number): Period => ({
  from: dayOf(Date.parse(end) - (days - 1) * DAY),
  to: end,
});

export function PeriodPicker(props: { period: Period; latest: string; onChange: (p: Period) => void }) {
  const presets = [7, 30, 90];
  return (
    <form class="period" aria-label="Period" onSubmit={(e) => e.preventDefault()}>
      {presets.map((n) => {
        const p = lastDays(props.latest, n);
        const active = p.from === props.period.from && p.to === props.period.to;
        return (
          <button
            type="button"
            key={n}
            class={active ? 'chip active' : 'chip'}
            aria-pressed={active}
            onClick={() => props.onChange(p)}
          >
            Last {n} days
          </button>
        );
      })}
      <label>
        From{' '}
        <input
          type="date"
          value={props.period.from}
          onChange={(e) =>
            e.currentTarget.value && props.onChange({ ...props.period, from: e.currentTarget.value })
          }
        />
      </label>
      <label>
        To{' '}
        <input
          type="date"
          value={props.period.to}
          onChange={(e) =>
            e.currentTarget.value && props.onChange({ ...props.period, to: e.currentTarget.value })
          }
        />
      </label>
    </form>
  );
}

/**
 * The day presets end on: the newest trigger's, so a demo's simulated month is in view; today when none
 * fired. The second value says whether that is known yet.
 */
export function useLatestDay(): [string, boolean] {
  const [newest] = useApi<{ triggers: TriggerSummary[] }>('/admin/v1/triggers?limit=1');
  const latest =
    newest.state === 'ok' && newest.data.triggers[0]
      ? newest.data.triggers[0].firedAt.slice(0, 10)
      : dayOf(Date.now());
  return [latest, newest.state !== 'loading'];
}
