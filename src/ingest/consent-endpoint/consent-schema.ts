import { z } from 'zod';
import { CONSENT_PERMISSIONS, CONSENT_STATES } from '../../event-log/canonical-event.ts';
import { isoTime } from '../validation.ts';

const categories = z.strictObject({
  analytics: z.boolean(),
  marketing: z.boolean(),
  preferences: z.boolean(),
  saleOfData: z.boolean(),
});
const text = (max: number) => z.string().min(1).max(max);

/** `POST /v1/consent`: one decision from a banner, form or support tool (CONTRACT.md "Consent"). */
export const consentBodySchema = z.looseObject({
  subject: z
    .strictObject({
      anonymousId: text(512).optional(),
      /** The Shopify pixel's `clientId` of the browser the form was in, so the decision names that browser. */
      clientId: text(512).optional(),
      /** Reclaim's own first-party browser id, for the same purpose. */
      browserId: text(512).optional(),
      email: text(254).optional(),
      phone: text(32).optional(),
      customerId: z.union([text(128), z.number().int().positive()]).optional(),
    })
    .refine((s) => s.anonymousId || s.clientId || s.browserId || s.email || s.phone || s.customerId, {
      message: 'subject needs at least one of anonymousId, clientId, browserId, email, phone, customerId',
    }),
  permission: z.enum(CONSENT_PERMISSIONS),
  state: z.enum(CONSENT_STATES),
  source: text(128),
  timestamp: isoTime,
  wording: text(10_000).optional(),
  wordingVersion: text(256).optional(),
  categories: categories.optional(),
  /** Whether the checkbox was ticked before the shopper acted. A pre-ticked box is never consent. */
  initialState: z.enum(['unchecked', 'checked']).optional(),
  optOutOffered: z.boolean().optional(),
  optOutWording: text(10_000).optional(),
  confirmed: z.boolean().optional(),
  gpc: z.boolean().optional(),
  country: z
    .string()
    .regex(/^[A-Za-z]{2}$/, 'must be an ISO 3166-1 alpha-2 code')
    .optional(),
  region: z
    .string()
    .regex(/^([A-Za-z]{2}-)?[A-Za-z0-9]{1,3}$/, 'must be an ISO 3166-2 code such as US-CA')
    .optional(),
  captureUrl: text(2048).optional(),
  formId: text(256).optional(),
  message: text(2000).optional(),
  /** The banner revision the visitor decided on (`RECLAIM_CONSENT_REVISION`); never one from the future. */
  revision: z.number().int().min(1).max(1_000_000).optional(),
  writeKey: z.string().optional(),
  /** A publishable key, for browsers (`RECLAIM_PUBLISHABLE_KEYS`). */
  key: z.string().optional(),
});
export type ConsentBody = z.output<typeof consentBodySchema>;
