import { STAGES, type JourneyStage } from '../journeys/journey.ts';
import { KlaviyoApiError, type KlaviyoApi, type KlaviyoFailureKind } from './klaviyo-api.ts';
import { besideOf, listAll, metricIds, PLACED_ORDER, type KlaviyoResource } from './klaviyo-resources.ts';

/** What a flow values report says of one flow over the period, summed over its messages. */
export interface FlowFigures {
  flowId: string;
  name: string;
  /** `draft`, `manual` or `live`. */
  status: string | null;
  recipients: number;
  /** Unique opens. */
  opens: number;
  /** Unique clicks. */
  clicks: number;
  /** Unique profiles that placed an order attributed to the flow (Klaviyo's attribution). */
  conversions: number;
  /** Revenue of those orders, in the account's currency. */
  revenue: number;
}

type Totals = Omit<FlowFigures, 'flowId' | 'name' | 'status'>;

/** Reclaim ÷ native, per figure; null where the native flow has none to divide by. */
export type Uplift = Record<keyof Totals, number | null>;

/** One native flow and the Reclaim flow `reclaim klaviyo setup` created beside it. */
export interface FlowPair {
  stage: JourneyStage;
  native: FlowFigures | null;
  reclaim: FlowFigures;
  uplift: Uplift | null;
}

export interface StageResults {
  stage: JourneyStage;
  native: Totals;
  reclaim: Totals;
  uplift: Uplift;
  /** Reclaim's own count of this stage's triggers Klaviyo accepted in the period. */
  reclaimSent: number;
}

/** What `reclaim klaviyo results` and `GET /admin/v1/klaviyo/results` show. */
export interface KlaviyoResults {
  ok: boolean;
  from: string;
  to: string;
  /** The conversion metric the report attributes orders by. */
  conversionMetric: string;
  pairs: FlowPair[];
  stages: StageResults[];
  /** Hints: no Reclaim flow yet, a draft that sends nothing. */
  hints: string[];
  failure: {
    kind: KlaviyoFailureKind | 'no_conversion_metric' | 'not_configured';
    message: string;
  } | null;
}

const STATISTICS = [
  'recipients',
  'opens_unique',
  'clicks_unique',
  'conversion_uniques',
  'conversion_value',
] as const;
const FIGURE: Record<(typeof STATISTICS)[number], keyof Totals> = {
  recipients: 'recipients',
  opens_unique: 'opens',
  clicks_unique: 'clicks',
  conversion_uniques: 'conversions',
  conversion_value: 'revenue',
};
/** Klaviyo's most flow ids one report filter takes. */
const MAX_FILTER_IDS = 100;

/**
 * Native vs Reclaim flows side by side from Klaviyo's flow values report (one query: the endpoint allows
 * two a minute), with Reclaim's own count of triggers sent (`sent`, from the store) for the same period.
 * A Klaviyo failure is part of the answer (`failure`), not an exception.
 */
export async function klaviyoResults(
  api: KlaviyoApi | undefined,
  { from, to, sent }: { from: number; to: number; sent: Record<JourneyStage, number> },
): Promise<KlaviyoResults> {
  const results: KlaviyoResults = {
    ok: false,
    from: new Date(from).toISOString(),
    to: new Date(to).toISOString(),
    conversionMetric: PLACED_ORDER,
    pairs: [],
    stages: [],
    hints: [],
    failure: null,
  };
  if (!api) {
    results.failure = {
      kind: 'not_configured',
      message: 'KLAVIYO_API_KEY is not set: there are no Klaviyo flows to compare',
    };
    return results;
  }
  try {
    await run(api, results, { from, to, sent });
  } catch (error) {
    if (!(error instanceof KlaviyoApiError)) throw error;
    results.failure = {
      kind: error.kind,
      message:
        error.kind === 'missing_scope'
          ? `the key lacks flows:read (flow values reports and flows) or metrics:read: ${error.message}`
          : error.message,
    };
  }
  results.ok = results.failure === null;
  return results;
}

async function run(
  api: KlaviyoApi,
  results: KlaviyoResults,
  { from, to, sent }: { from: number; to: number; sent: Record<JourneyStage, number> },
): Promise<void> {
  const metrics = await metricIds(api);
  const stageOf = new Map<string, JourneyStage>();
  for (const stage of STAGES) {
    const metric = metrics.get(api.settings.metrics[stage]);
    if (metric)
      for (const f of await listAll(api, `/api/metrics/${metric}/flow-triggers`)) stageOf.set(f.id, stage);
  }
  const flows = new Map<string, KlaviyoResource>();
  for (const f of await listAll(api, '/api/flows?page[size]=50')) flows.set(f.id, f);
  const pairs: { stage: JourneyStage; native: KlaviyoResource | undefined; reclaim: KlaviyoResource }[] = [];
  for (const f of flows.values()) {
    const beside = besideOf(f.attributes.name);
    const stage = stageOf.get(f.id);
    if (beside && stage && f.attributes.archived !== true)
      pairs.push({ stage, native: flows.get(beside), reclaim: f });
  }
  if (pairs.length === 0)
    results.hints.push(
      'no Reclaim flow beside a native flow yet: run reclaim klaviyo setup (docs/klaviyo.md)',
    );
  for (const p of pairs)
    if (p.reclaim.attributes.status !== 'live')
      results.hints.push(
        `"${String(p.reclaim.attributes.name)}" is a ${String(p.reclaim.attributes.status)}: it sends nothing until it is set Live`,
      );

  const figures = new Map<string, Totals>();
  const ids = [...new Set(pairs.flatMap((p) => [p.reclaim.id, ...(p.native ? [p.native.id] : [])]))];
  if (ids.length) {
    const conversion = metrics.get(PLACED_ORDER);
    if (!conversion) {
      results.failure = {
        kind: 'no_conversion_metric',
        message: `the account has no "${PLACED_ORDER}" metric, which flow reports attribute orders by: connect Shopify to Klaviyo`,
      };
      return;
    }
    for (let i = 0; i < ids.length; i += MAX_FILTER_IDS) {
      const chunk = ids.slice(i, i + MAX_FILTER_IDS);
      const body = (await api.post('/api/flow-values-reports', {
        data: {
          type: 'flow-values-report',
          attributes: {
            statistics: [...STATISTICS],
            timeframe: { start: new Date(from).toISOString(), end: new Date(to).toISOString() },
            conversion_metric_id: conversion,
            group_by: ['flow_id', 'flow_message_id'],
            filter: `contains-any(flow_id,[${chunk.map((id) => JSON.stringify(id)).join(',')}])`,
          },
        },
      })) as {
        data?: {
          attributes?: {
            results?: { groupings?: Record<string, unknown>; statistics?: Record<string, unknown> }[];
          };
        };
      };
      for (const row of body?.data?.attributes?.results ?? []) {
        const id = row.groupings?.flow_id;
        if (typeof id !== 'string') continue;
        const totals = figures.get(id) ?? zero();
        for (const s of STATISTICS) {
          const v = Number(row.statistics?.[s] ?? 0);
          if (Number.isFinite(v)) totals[FIGURE[s]] += v;
        }
        figures.set(id, totals);
      }
    }
  }
  const of = (f: KlaviyoResource): FlowFigures => ({
    flowId: f.id,
    name: typeof f.attributes.name === 'string' ? f.attributes.name : f.id,
    status: typeof f.attributes.status === 'string' ? f.attributes.status : null,
    ...(figures.get(f.id) ?? zero()),
  });
  results.pairs = pairs.map((p) => {
    const native = p.native ? of(p.native) : null;
    const reclaim = of(p.reclaim);
    return { stage: p.stage, native, reclaim, uplift: native ? uplift(native, reclaim) : null };
  });
  results.stages = STAGES.map((stage) => {
    const native = zero();
    const reclaim = zero();
    for (const p of results.pairs.filter((x) => x.stage === stage)) {
      add(reclaim, p.reclaim);
      if (p.native) add(native, p.native);
    }
    return { stage, native, reclaim, uplift: uplift(native, reclaim), reclaimSent: sent[stage] };
  });
}

const zero = (): Totals => ({ recipients: 0, opens: 0, clicks: 0, conversions: 0, revenue: 0 });

function add(into: Totals, from: Totals): void {
  for (const k of Object.keys(into) as (keyof Totals)[]) into[k] += from[k];
}

function uplift(native: Totals, reclaim: Totals): Uplift {
  return Object.fromEntries(
    (Object.keys(native) as (keyof Totals)[]).map((k) => [
      k,
      native[k] > 0 ? Math.round((reclaim[k] / native[k]) * 1000) / 1000 : null,
    ]),
  ) as Uplift;
}
