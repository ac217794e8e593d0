import { createHash } from 'node:crypto';

/**
 * How the Klaviyo stand-in turns the events it received into flow figures: a pure function of the
 * events, the flows (with when each was live) and the time, so a flow values report is the same however
 * often it is asked for. Klaviyo does this with its own machinery; the stand-in models what a flow values
 * report needs and says what it does not model (`docs/klaviyo.md`, "The stand-in's flows").
 */

/** One event as the flows see it. */
export interface RunEvent {
  profileId: string;
  metricId: string;
  /** Event time, ms. */
  at: number;
  value?: number;
  properties: Record<string, unknown>;
}

export interface RunProfile {
  id: string;
  email?: string;
  phone_number?: string;
}

export interface RunFlow {
  id: string;
  /** The triggering metric's id. */
  metricId: string;
  definition: Record<string, unknown>;
  /** `[from, to)` periods the flow was live, ms (`to` Infinity while it still is). */
  live: { from: number; to: number }[];
}

export interface RunInput {
  events: readonly RunEvent[];
  profiles: ReadonlyMap<string, RunProfile>;
  flows: readonly RunFlow[];
  /** Metric ids of "Received Email" and "Received SMS", which a sent message records (when the account has them). */
  received: { email?: string; sms?: string };
  /** The metric orders are attributed by (the report's `conversion_metric_id`). */
  conversionMetricId: string;
  /** Messages due after this have not been sent yet. */
  now: number;
}

/** A flow's first message, sent to one profile. */
export interface RunMessage {
  flowId: string;
  actionId: string;
  profileId: string;
  at: number;
  channel: 'email' | 'sms';
  opened: boolean;
  clicked: boolean;
}

/** An order attributed to the flow message the profile received last before it. */
export interface RunConversion {
  flowId: string;
  actionId: string;
  profileId: string;
  at: number;
  value: number;
}

export interface RunResult {
  /** Profiles that entered each flow, by flow id. */
  entries: Map<string, { profileId: string; at: number }[]>;
  messages: RunMessage[];
  conversions: RunConversion[];
  /** Filter conditions the stand-in does not evaluate (treated as met), once each, as JSON. */
  unevaluated: string[];
}

/**
 * Klaviyo's default attribution window for flow emails: an order within 5 days of a message counts as
 * its conversion.
 */
export const CONVERSION_WINDOW = 5 * 86_400_000;
/**
 * The share of recipients the stand-in counts as opening and as clicking. The stand-in cannot know who
 * opens a message; these are round figures near the open and click rates Klaviyo publishes for
 * abandonment flows, applied by a hash of the profile so runs are reproducible.
 */
export const OPEN_RATE = 0.45;
export const CLICK_RATE = 0.06;

const UNIT = new Map([
  ['hour', 3_600_000],
  ['day', 86_400_000],
  ['week', 7 * 86_400_000],
]);
const DELAY_UNIT = new Map([...UNIT, ['minutes', 60_000], ['hours', 3_600_000], ['days', 86_400_000]]);

/** A property of an event, not one its prototype lends it. */
const property = (properties: Record<string, unknown>, name: string) =>
  Object.hasOwn(properties, name) ? properties[name] : undefined;

interface Pending {
  at: number;
  flow: RunFlow;
  actionId: string;
  channel: 'email' | 'sms';
  profileId: string;
  entryAt: number;
}

/**
 * Runs every flow over the events in time order: a trigger event of a live flow whose trigger filter it
 * passes starts the flow for its profile (re-entry permitting, and the profile filter met); the flow's
 * first message goes out after the delays before it, if the profile filter still holds then and the
 * profile has an address on that channel; an order of the conversion metric counts for the last message
 * the profile received within the window before it.
 */
export function runFlows(input: RunInput): RunResult {
  const result: RunResult = { entries: new Map(), messages: [], conversions: [], unevaluated: [] };
  const unevaluated = new Set<string>();
  const skip = (condition: unknown) => {
    unevaluated.add(JSON.stringify(condition));
    return true;
  };
  const history = new Map<
    string,
    { metricId: string; at: number; value?: number; properties: Record<string, unknown> }[]
  >();
  const received = new Map<string, RunMessage[]>();
  const lastEntry = new Map<string, number>();
  const waiting = new Set<string>();
  const pending: Pending[] = [];
  const byMetric = new Map<string, RunFlow[]>();
  for (const flow of input.flows) byMetric.set(flow.metricId, [...(byMetric.get(flow.metricId) ?? []), flow]);
  const firstMessages = new Map(input.flows.map((f) => [f.id, firstMessage(f.definition)]));

  const send = (p: Pending) => {
    waiting.delete(`${p.flow.id}|${p.profileId}`);
    if (!isLive(p.flow, p.at)) return;
    if (!profileFilter(p.flow, p.profileId, p.at, p.entryAt)) return;
    const profile = input.profiles.get(p.profileId);
    if (!(p.channel === 'email' ? profile?.email : profile?.phone_number)) return;
    const draw = engagement(profile);
    const message: RunMessage = {
      flowId: p.flow.id,
      actionId: p.actionId,
      profileId: p.profileId,
      at: p.at,
      channel: p.channel,
      opened: draw < OPEN_RATE,
      clicked: draw < CLICK_RATE,
    };
    result.messages.push(message);
    received.set(p.profileId, [...(received.get(p.profileId) ?? []), message]);
    const metricId = input.received[p.channel];
    if (metricId)
      remember(p.profileId, { metricId, at: p.at, properties: { $flow: p.flow.id, $message: p.actionId } });
  };
  const remember = (
    profileId: string,
    e: { metricId: string; at: number; value?: number; properties: Record<string, unknown> },
  ) => {
    const list = history.get(profileId);
    if (list) list.push(e);
    else history.set(profileId, [e]);
  };
  const sendDue = (until: number) => {
    pending.sort((a, b) => a.at - b.at);
    while (pending.length > 0 && pending[0]!.at <= until) send(pending.shift()!);
  };

  function conditionMet(
    condition: Record<string, unknown>,
    profileId: string,
    at: number,
    entryAt: number,
  ): boolean {
    if (condition.type !== 'profile-metric') return skip(condition);
    const timeframe = condition.timeframe_filter as Record<string, unknown> | undefined;
    let since: number;
    if (timeframe?.operator === 'flow-start') since = entryAt;
    else if (timeframe?.operator === 'alltime') since = Number.NEGATIVE_INFINITY;
    else if (timeframe?.operator === 'in-the-last' && UNIT.has(String(timeframe.unit)))
      since = at - Number(timeframe.quantity) * UNIT.get(String(timeframe.unit))!;
    else return skip(condition);
    const filters = (condition.metric_filters ?? []) as {
      property: string;
      filter: Record<string, unknown>;
    }[];
    if (filters.some((f) => f.filter.type !== 'string' || f.filter.operator !== 'equals'))
      return skip(condition);
    const measured = (history.get(profileId) ?? []).filter(
      (e) =>
        e.metricId === condition.metric_id &&
        e.at >= since &&
        e.at <= at &&
        filters.every((f) => property(e.properties, f.property) === f.filter.value),
    );
    const amount =
      condition.measurement === 'sum' ? measured.reduce((n, e) => n + (e.value ?? 0), 0) : measured.length;
    const compared = compare(condition.measurement_filter as Record<string, unknown> | undefined, amount);
    return compared ?? skip(condition);
  }

  function profileFilter(flow: RunFlow, profileId: string, at: number, entryAt: number): boolean {
    const groups = (
      flow.definition.profile_filter as {
        condition_groups?: { conditions: Record<string, unknown>[] }[];
      } | null
    )?.condition_groups;
    return (groups ?? []).every((g) => g.conditions.some((c) => conditionMet(c, profileId, at, entryAt)));
  }

  function triggerFilter(flow: RunFlow, event: RunEvent): boolean {
    const trigger = (
      flow.definition.triggers as
        | { trigger_filter?: { condition_groups?: { conditions: Record<string, unknown>[] }[] } | null }[]
        | undefined
    )?.[0];
    return (trigger?.trigger_filter?.condition_groups ?? []).every((g) =>
      g.conditions.some((c) => {
        if (c.type !== 'metric-property') return skip(c);
        const value = property(event.properties, String(c.field));
        const filter = c.filter as Record<string, unknown>;
        if (filter.type === 'existence')
          return filter.operator === 'not-set'
            ? value === undefined || value === null
            : filter.operator === 'is-set'
              ? value !== undefined && value !== null
              : skip(c);
        if ((filter.type === 'boolean' || filter.type === 'string') && filter.operator === 'equals')
          return value === filter.value;
        if (filter.type === 'string' && filter.operator === 'not-equals') return value !== filter.value;
        if (filter.type === 'numeric' && typeof value === 'number') return compare(filter, value) ?? skip(c);
        return skip(c);
      }),
    );
  }

  function reentryAllows(flow: RunFlow, profileId: string, at: number): boolean {
    const key = `${flow.id}|${profileId}`;
    if (waiting.has(key)) return false;
    const last = lastEntry.get(key);
    if (last === undefined) return true;
    const criteria = flow.definition.reentry_criteria as
      { duration?: number; unit?: string } | null | undefined;
    if (!criteria) return true;
    if (criteria.unit === 'alltime') return false;
    const unit = UNIT.get(String(criteria.unit));
    return unit === undefined ? skip(criteria) : at - last >= Number(criteria.duration) * unit;
  }

  const events = [...input.events].sort((a, b) => a.at - b.at);
  for (const event of events) {
    sendDue(event.at);
    remember(event.profileId, event);
    if (event.metricId === input.conversionMetricId) {
      const last = (received.get(event.profileId) ?? [])
        .filter((m) => m.at <= event.at && event.at - m.at <= CONVERSION_WINDOW)
        .at(-1);
      if (last)
        result.conversions.push({
          flowId: last.flowId,
          actionId: last.actionId,
          profileId: event.profileId,
          at: event.at,
          value: event.value ?? 0,
        });
    }
    for (const flow of byMetric.get(event.metricId) ?? []) {
      if (!isLive(flow, event.at) || !triggerFilter(flow, event)) continue;
      if (!reentryAllows(flow, event.profileId, event.at)) continue;
      if (!profileFilter(flow, event.profileId, event.at, event.at)) continue;
      const key = `${flow.id}|${event.profileId}`;
      lastEntry.set(key, event.at);
      const entries = result.entries.get(flow.id);
      if (entries) entries.push({ profileId: event.profileId, at: event.at });
      else result.entries.set(flow.id, [{ profileId: event.profileId, at: event.at }]);
      const first = firstMessages.get(flow.id);
      if (!first) continue;
      waiting.add(key);
      pending.push({
        at: event.at + first.delay,
        flow,
        actionId: first.actionId,
        channel: first.channel,
        profileId: event.profileId,
        entryAt: event.at,
      });
    }
  }
  sendDue(input.now);
  result.unevaluated = [...unevaluated];
  return result;
}

function isLive(flow: RunFlow, at: number): boolean {
  return flow.live.some((p) => at >= p.from && at < p.to);
}

function compare(filter: Record<string, unknown> | undefined, amount: number): boolean | undefined {
  const value = Number(filter?.value);
  switch (filter?.operator) {
    case 'equals':
      return amount === value;
    case 'not-equals':
      return amount !== value;
    case 'greater-than':
      return amount > value;
    case 'greater-than-or-equal':
      return amount >= value;
    case 'less-than':
      return amount < value;
    case 'less-than-or-equal':
      return amount <= value;
    default:
      return undefined;
  }
}

/**
 * The flow's first message and how long after entry it goes out: the path from the entry action along
 * `links.next`, adding up the time delays, to the first email or SMS. Splits and other branching actions
 * end the path (the stand-in does not model them).
 */
function firstMessage(
  definition: Record<string, unknown>,
): { actionId: string; channel: 'email' | 'sms'; delay: number } | undefined {
  const actions = new Map(
    (
      (definition.actions ?? []) as {
        id?: string;
        type: string;
        links?: { next?: string | null } | null;
        data?: Record<string, unknown> | null;
      }[]
    ).map((a) => [String(a.id), a]),
  );
  let id = definition.entry_action_id as string | null | undefined;
  let delay = 0;
  for (let steps = 0; id && steps < actions.size; steps++) {
    const action = actions.get(String(id));
    if (!action) return undefined;
    if (action.type === 'send-email' || action.type === 'send-sms')
      return { actionId: String(action.id), channel: action.type === 'send-email' ? 'email' : 'sms', delay };
    if (action.type === 'time-delay') {
      const named = action.data?.unit;
      const unit = DELAY_UNIT.get(typeof named === 'string' ? named : 'days');
      if (unit === undefined) return undefined;
      delay += Number(action.data?.value ?? 0) * unit;
    } else if (
      action.type !== 'update-profile' &&
      action.type !== 'list-update' &&
      action.type !== 'send-internal-alert'
    )
      return undefined;
    id = action.links?.next ?? null;
  }
  return undefined;
}

/** A number in [0, 1) fixed by a profile's email (or phone): who "opens" and "clicks" is the same every run. */
export function engagementOf(address: string): number {
  return createHash('sha256').update(`klaviyo-stand-in:${address}`).digest().readUInt32BE(0) / 2 ** 32;
}

function engagement(profile: RunProfile | undefined): number {
  return engagementOf(profile?.email ?? profile?.phone_number ?? profile?.id ?? '');
}
