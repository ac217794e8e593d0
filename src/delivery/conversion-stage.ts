import { consentViewSlot, deviceKeysOf } from '../consent/consent-stage.ts';
import { consentSignals } from '../consent/consent-signals.ts';
import { resolveJurisdiction } from '../consent/jurisdiction.ts';
import type { Conversion, ConversionAction, ConversionName } from '../destinations/kit/destination.ts';
import type { EnabledDestination } from '../destinations/registry.ts';
import type { ResolvedEvent } from '../identity/identity-resolver.ts';
import type { BatchContext } from '../pipeline/batch-context.ts';
import type { Stage, StageBatch } from '../pipeline/stage.ts';
import type { CanonicalEvent, EventKind } from '../event-log/canonical-event.ts';
import { Outbox, type DeliveryDraft } from './outbox.ts';

const CONVERSIONS: Partial<Record<EventKind, ConversionName>> = {
  product_view: 'view_content',
  cart_add: 'add_to_cart',
  checkout_started: 'initiate_checkout',
  order_completed: 'purchase',
};

/** The outbox subject of a purchase: one per order (its id), whichever source reported it first. */
export const purchaseSubjectId = (eventId: string) => `purchase:${eventId}`;

/** The id a purchase goes out under: the order id, else the browser event's own id. */
export function purchaseEventId(event: CanonicalEvent): string {
  return event.ids.orderId ?? event.idempotencyKey.slice(event.idempotencyKey.indexOf(':') + 1);
}

/** The event as a conversion, or undefined when it is not one (or did not come from a browser). */
function conversionOf(event: CanonicalEvent, signals: Conversion['signals']): Conversion | undefined {
  const name = CONVERSIONS[event.kind];
  if (!name || (event.source !== 'pixel' && event.source !== 'segment')) return undefined;
  const sourceId = event.idempotencyKey.slice(event.idempotencyKey.indexOf(':') + 1);
  const c = event.context;
  const geo = c.geo;
  return {
    id: event.id,
    name,
    eventId: name === 'purchase' ? purchaseEventId(event) : sourceId,
    at: event.eventTime,
    pageUrl: c.pageUrl,
    userAgent: c.userAgent,
    ip: c.ip,
    fbc: c.fbc,
    fbp: c.fbp,
    gaClientId: c.gaClientId,
    email: event.ids.email,
    phone: event.ids.phone,
    customerId: event.ids.customerId,
    country: geo?.shippingCountry ?? geo?.billingCountry ?? geo?.country,
    items: event.commerce?.lines ?? [],
    value: event.commerce?.value,
    currency: event.commerce?.currency,
    orderId: event.ids.orderId,
    signals,
  };
}

/**
 * Queues the store's commerce events (product views, adds to cart, checkouts started, purchases) for
 * the conversion destinations — Meta's Conversions API, GA4 — in the batch that processed them, with the
 * consent signals of that moment. A partner the shopper's consent does not allow gets nothing.
 */
export class ConversionStage implements Stage<ResolvedEvent> {
  readonly name = 'conversions';
  readonly #targets: { name: string; action: ConversionAction<unknown> }[];

  constructor(destinations: readonly EnabledDestination[]) {
    this.#targets = destinations.flatMap(({ definition }) =>
      definition.actions.conversion ? [{ name: definition.name, action: definition.actions.conversion }] : [],
    );
  }

  begin(ctx: BatchContext): Promise<StageBatch<ResolvedEvent>> {
    const consent = ctx.get(consentViewSlot);
    const drafts: DeliveryDraft[] = [];
    const targets = this.#targets;
    return Promise.resolve({
      apply({ event, resolution }: ResolvedEvent): void {
        if (targets.length === 0 || !CONVERSIONS[event.kind]) return;
        const signals = consentSignals({
          jurisdiction: resolveJurisdiction([event.context.geo]),
          categories: event.context.tracking,
          recorded: consent.tracking(deviceKeysOf(event)),
          gpc: event.context.gpc ?? false,
        });
        const conversion = conversionOf(event, signals);
        if (!conversion) return;
        const subjectId = conversion.name === 'purchase' ? purchaseSubjectId(conversion.eventId) : event.id;
        for (const { name, action } of targets) {
          const permit = action.permits(conversion);
          // A purchase not sent is kept as a skipped row with its reason, for the accuracy report.
          if (!permit.ok && conversion.name !== 'purchase') continue;
          drafts.push({
            destination: name,
            kind: 'conversion',
            subjectId,
            profileId: resolution.profileId,
            ...(permit.ok
              ? { payload: conversion }
              : { payload: {}, status: 'skipped', outcome: { reason: permit.reason } }),
          });
        }
      },
      save: () => Outbox.enqueue(ctx.trx, drafts, ctx.clock.now()),
    });
  }
}
