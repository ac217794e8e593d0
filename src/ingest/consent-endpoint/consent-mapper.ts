import { createHash } from 'node:crypto';
import { apiError } from '../../http/errors/api-error.ts';
import type { CanonicalEvent } from '../../event-log/canonical-event.ts';
import { eventIdFor } from '../../event-log/event-log.ts';
import { nonEmpty } from '../fields.ts';
import {
  normalizeCountry,
  normalizeEmail,
  normalizeOpaqueId,
  normalizePhone,
  normalizeRegion,
} from '../../event-log/identifier-normalizers.ts';
import type { RequestSignals } from '../request-signals.ts';
import { consentBodySchema, type ConsentBody } from './consent-schema.ts';
import { parseBody } from '../validation.ts';

/**
 * Checks the proof a consent record needs (RULES.md §2) and turns the decision into a canonical event.
 * A grant needs its wording (or wording version) and an unticked initial state (Planet49); an email
 * decision names the address, an SMS decision the phone number (TCPA).
 */
export function mapConsentBody(body: ConsentBody, signals: RequestSignals): CanonicalEvent {
  const country = normalizeCountry(body.country) ?? signals.country;
  const email = body.subject.email === undefined ? undefined : normalizeEmail(body.subject.email);
  const phone = body.subject.phone === undefined ? undefined : normalizePhone(body.subject.phone, country);
  if (body.subject.email !== undefined && !email) {
    throw apiError('RECLAIM_ERR_INVALID_SHAPE', 'subject.email is not an email address', 'subject.email');
  }
  if (body.subject.phone !== undefined && !phone) {
    throw apiError('RECLAIM_ERR_INVALID_SHAPE', 'subject.phone is not a valid phone number', 'subject.phone');
  }
  if (body.permission === 'email' && !email) {
    throw apiError('RECLAIM_ERR_INVALID_SHAPE', 'an email decision must name subject.email', 'subject.email');
  }
  if (body.permission === 'sms' && !phone) {
    throw apiError('RECLAIM_ERR_INVALID_SHAPE', 'an SMS decision must name subject.phone', 'subject.phone');
  }
  if (body.state === 'granted') {
    if (!body.wording && !body.wordingVersion) {
      throw apiError(
        'RECLAIM_ERR_CONSENT_UNPROVEN',
        'a grant must carry the wording shown (wording or wordingVersion)',
        'wording',
      );
    }
    if (body.initialState === 'checked') {
      throw apiError('RECLAIM_ERR_CONSENT_UNPROVEN', 'a pre-ticked box is not consent', 'initialState');
    }
  }

  const fingerprint = createHash('sha256')
    .update(JSON.stringify({ ...body, writeKey: undefined, key: undefined }))
    .digest('hex');
  const idempotencyKey = `consent:${fingerprint}`;
  const eventTime = Date.parse(body.timestamp);
  return {
    id: eventIdFor(idempotencyKey, eventTime),
    kind: 'consent',
    source: 'consent',
    name: `consent.${body.permission}.${body.state}`,
    idempotencyKey,
    eventTime,
    receivedAt: signals.receivedAt,
    ids: {
      anonymousId: normalizeOpaqueId(body.subject.anonymousId),
      clientId: normalizeOpaqueId(body.subject.clientId),
      browserId: normalizeOpaqueId(body.subject.browserId),
      customerId: normalizeOpaqueId(body.subject.customerId),
      email,
      phone,
    },
    context: {
      ip: signals.ip,
      userAgent: signals.userAgent,
      gpc: body.gpc ?? (signals.gpc || undefined),
      geo: nonEmpty({ country, region: normalizeRegion(body.region, country) ?? signals.region }),
    },
    consent: {
      permission: body.permission,
      state: body.state,
      source: body.source,
      wording: body.wording,
      wordingVersion: body.wordingVersion,
      categories: body.categories,
      initialState: body.initialState,
      optOutOffered: body.optOutOffered,
      optOutWording: body.optOutWording,
      confirmed: body.confirmed,
      captureUrl: body.captureUrl,
      formId: body.formId,
      message: body.message,
    },
  };
}

/** The canonical event of one consent decision body. Throws a 4xx `ApiError` for anything malformed or unproven. */
export function consentEvent(body: unknown, signals: RequestSignals): CanonicalEvent {
  return mapConsentBody(parseBody(consentBodySchema, body), signals);
}
