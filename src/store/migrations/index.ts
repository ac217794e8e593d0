import type { Migration } from 'kysely';
import * as foundation from './2026-11-22T0900-foundation.ts';
import * as events from './2026-11-22T1200-events.ts';
import * as identity from './2026-11-22T1500-identity.ts';
import * as consent from './2026-11-22T1800-consent.ts';
import * as journeys from './2026-11-23T0900-journeys.ts';
import * as delivery from './2026-11-24T0900-delivery.ts';
import * as eventLogCursor from './2026-12-01T0900-event-log-cursor.ts';
import * as eventLogSequence from './2026-12-03T0900-event-log-sequence.ts';
import * as webhookTopicReceipts from './2026-12-04T0900-webhook-topic-receipts.ts';
import * as consentBannerCounts from './2026-12-05T0900-consent-banner-counts.ts';
import * as dashboardSessions from './2026-12-05T1000-dashboard-sessions.ts';
import * as metricsIndexes from './2026-12-05T1100-metrics-indexes.ts';
import * as scans from './2026-12-05T1300-scans.ts';
import * as shopifyImports from './2026-12-05T1400-shopify-imports.ts';
import * as shopifyInstallations from './2026-12-05T1500-shopify-installations.ts';
import * as deliveryAttempts from './2026-12-06T1000-delivery-attempts.ts';
import * as gapReportDays from './2026-12-06T1100-gap-report-days.ts';
import * as gapReportSuppressedIndex from './2026-12-06T1100-gap-report-suppressed-index.ts';

/** Every migration, named by the date it was written. Files are frozen once released. */
export const MIGRATIONS: Record<string, Migration> = {
  '2026-11-22T0900-foundation': foundation,
  '2026-11-22T1200-events': events,
  '2026-11-22T1500-identity': identity,
  '2026-11-22T1800-consent': consent,
  '2026-11-23T0900-journeys': journeys,
  '2026-11-24T0900-delivery': delivery,
  '2026-12-01T0900-event-log-cursor': eventLogCursor,
  '2026-12-03T0900-event-log-sequence': eventLogSequence,
  '2026-12-04T0900-webhook-topic-receipts': webhookTopicReceipts,
  '2026-12-05T0900-consent-banner-counts': consentBannerCounts,
  '2026-12-05T1000-dashboard-sessions': dashboardSessions,
  '2026-12-05T1100-metrics-indexes': metricsIndexes,
  '2026-12-05T1300-scans': scans,
  '2026-12-05T1400-shopify-imports': shopifyImports,
  '2026-12-05T1500-shopify-installations': shopifyInstallations,
  '2026-12-06T1000-delivery-attempts': deliveryAttempts,
  '2026-12-06T1100-gap-report-days': gapReportDays,
  '2026-12-06T1100-gap-report-suppressed-index': gapReportSuppressedIndex,
};
