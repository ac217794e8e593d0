import type { ComponentChildren } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import { ApiFailure, get } from './api.ts';

/** What a page's request is: loading, its data, unavailable (404: the feature has not landed), or failed. */
export type Loaded<T> =
  | { state: 'loading' }
  | { state: 'ok'; data: T }
  | { state: 'missing' }
  | { state: 'failed'; message: string };

/** GETs `path` whenever it changes; `reload()` asks again. */
export function useApi<T>(path: string | null): [Loaded<T>, () => void] {
  const [loaded, setLoaded] = useState<Loaded<T>>({ state: 'loading' });
  const [round, setRound] = useState(0);
  useEffect(() => {
    if (path === null) return;
    let live = true;
    setLoaded({ state: 'loading' });
    get<T>(path).then(
      (data) => live && setLoaded({ state: 'ok', data }),
      (error: unknown) => {
        if (!live) return;
        if (error instanceof ApiFailure && error.status === 404 && error.code === 'RECLAIM_ERR_NOT_FOUND')
          setLoaded({ state: 'missing' });
        else setLoaded({ state: 'failed', message: error instanceof Error ? error.message : String(error) });
      },
    );
    return () => {
      live = false;
    };
  }, [path, round]);
  return [loaded, () => setRound((r) => r + 1)];
}

/** Renders `children(data)` once loaded; a spinner, a "not available yet" note or the error otherwise. */
export function Show<T>(props: {
  loaded: Loaded<T>;
  missing?: string;
  children: (data: T) => ComponentChildren;
}) {
  const { loaded } = props;
  if (loaded.state === 'loading')
    return (
      <p class="muted" role="status">
        Loading…
      </p>
    );
  if (loaded.state === 'missing')
    return (
      <p class="note" data-testid="not-available">
        {props.missing ?? 'Not available yet: this Reclaim version does not offer it.'}
      </p>
    );
  if (loaded.state === 'failed')
    return (
      <p class="error" role="alert">
        {loaded.message}
      </p>
    );
  return <>{props.children(loaded.data)}</>;
}

export function Card(props: { title: string; children: ComponentChildren; wide?: boolean }) {
  return (
    <section class={props.wide ? 'card wide' : 'card'} aria-label={props.title}>
      <h2>{props.title}</h2>
      {props.children}
    </section>
  );
}

/** A headline figure with its label and an optional line of context. */
export function Figure(props: {
  label: string;
  value: string;
  hint?: string;
  tone?: string;
  testid?: string;
}) {
  return (
    <div class={`figure ${props.tone ?? ''}`}>
      <div class="figure-value" data-testid={props.testid}>
        {props.value}
      </div>
      <div class="figure-label">{props.label}</div>
      {props.hint && <div class="figure-hint">{props.hint}</div>}
    </div>
  );
}

/** Horizontal bars for a few labelled counts: readable as text, no chart library needed. */
export function Bars(props: { rows: { label: string; value: number; tone?: string }[]; testid?: string }) {
  const max = Math.max(1, ...props.rows.map((r) => r.value));
  return (
    <table class="bars" data-testid={props.testid}>
      <tbody>
        {props.rows.map((r) => (
          <tr key={r.label}>
            <th scope="row">{r.label}</th>
            <td class="bar-cell">
              <span class={`bar ${r.tone ?? ''}`} style={{ width: `${(r.value / max) * 100}%` }} />
            </td>
            <td class="num">{r.value.toLocaleString('en')}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

export const COLORS = ['#2563eb', '#f59e0b', '#16a34a', '#dc2626', '#7c3aed', '#0891b2'];

/** A uPlot chart of series per UTC day; `label` names it for assistive technology. */
export function DayChart(props: {
  label: string;
  days: string[];
  series: { label: string; values: number[]; color?: string }[];
  bars?: boolean;
}) {
  const box = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const el = box.current;
    if (!el) return;
    const xs = props.days.map((d) => Date.parse(`${d}T00:00:00Z`) / 1000);
    const paths = props.bars ? uPlot.paths.bars!({ size: [0.6, 40] }) : undefined;
    const plot = new uPlot(
      {
        width: Math.max(300, el.clientWidth),
        height: 220,
        tzDate: (ts) => uPlot.tzDate(new Date(ts * 1000), 'Etc/UTC'),
        scales: { x: { time: true } },
        axes: [{ stroke: '#475569' }, { stroke: '#475569', size: 50 }],
        series: [
          {},
          ...props.series.map((s, i) => ({
            label: s.label,
            stroke: s.color ?? COLORS[i % COLORS.length],
            fill: props.bars ? (s.color ?? COLORS[i % COLORS.length]) + 'cc' : undefined,
            width: 2,
            paths,
            points: { show: false },
          })),
        ],
      },
      [xs, ...props.series.map((s) => s.values)],
      el,
    );
    el.dataset.drawn = 'true';
    const resize = () => plot.setSize({ width: Math.max(300, el.clientWidth), height: 220 });
    window.addEventListener('resize', resize);
    return () => {
      window.removeEventListener('resize', resize);
      plot.destroy();
    };
  }, [props.days, props.series, props.bars]);
  return <div class="chart" ref={box} role="img" aria-label={props.label} />;
}

export function Table(props: {
  head: string[];
  children: ComponentChildren;
  testid?: string;
  caption?: string;
}) {
  return (
    <div class="table-wrap" tabIndex={0}>
      <table class="data" data-testid={props.testid}>
        {props.caption && <caption class="visually-hidden">{props.caption}</caption>}
        <thead>
          <tr>
            {props.head.map((h) => (
              <th scope="col" key={h}>
                {h}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>{props.children}</tbody>
      </table>
    </div>
  );
}

export function Pill(props: { tone: 'good' | 'bad' | 'warn' | 'neutral'; children: ComponentChildren }) {
  return <span class={`pill ${props.tone}`}>{props.children}</span>;
}
