/** The admin API's answers, as far as the pages read them (docs/reports.md, CONTRACT.md "Admin API"). */

export interface Revenue {
  orders: number;
  byCurrency: Record<string, string>;
}

export interface GapTally {
  abandoned: number;
  klaviyoLikelySaw: number;
  klaviyoMissed: Record<string, number>;
  reclaimSent: number;
  recovered: number;
  notSent: Record<string, number>;
  lost: number;
  revenue: Revenue;
  recoveredRevenue: Revenue;
}

export interface GapReport {
  from: string;
  to: string;
  attributionWindowMs: number;
  total: GapTally;
  byStage: Record<string, GapTally>;
  days: (GapTally & { day: string })[];
  suppressed: Record<string, number>;
  untracked: { events: number; byKind: Record<string, number> };
}

export interface StageDays {
  days: ({ day: string } & Record<'browse' | 'cart' | 'checkout', number>)[];
}

export interface ChannelDecision {
  recipient: string | null;
  recipientReason: string;
  allowed: boolean;
  basis?: string;
  reason?: string;
  deferredUntil?: string;
}

export interface DeliveryState {
  id: string;
  status: string;
  attempts: number;
  deliveredAt: string | null;
  nextAttemptAt: string | null;
  lastError: unknown;
  outcome: unknown;
}

export interface TriggerSummary {
  id: string;
  stage: string;
  profileId: string;
  firedAt: string;
  value: string | null;
  currency: string | null;
  email: ChannelDecision;
  sms: ChannelDecision;
  jurisdiction: { regime?: string; country?: string } & Record<string, unknown>;
  klaviyoLikelySaw: boolean;
  deliveries?: Record<string, DeliveryState>;
}

export interface Delivery {
  id: string;
  destination: string;
  kind: string;
  subjectId: string;
  profileId: string | null;
  status: string;
  attempts: number;
  createdAt: string;
  updatedAt: string;
  lastError: { kind?: string; message?: string; status?: number } | null;
}

/** Partner answers over an hour or a day (`GET /admin/v1/destinations`). */
export interface AttemptSummary {
  delivered: number;
  deliveredPerMinute: number;
  requests: number;
  throttled: number;
  clientErrors: number;
  serverErrors: number;
  noAnswer: number;
}

export interface Destination {
  destination: string;
  status: 'active' | 'paused';
  reason?: { kind?: string; message?: string; status?: number };
  updatedAt?: string;
  enabled: boolean;
  sendLimits: Record<string, { perSecond: number; perMinute: number }>;
  lastHour: AttemptSummary;
  last24Hours: AttemptSummary;
  deliveries: Record<string, number>;
}

/** `GET /admin/v1/reports/accuracy`. */
export interface AccuracyReport {
  from: string;
  to: string;
  orders: { seen: number; fromShopify: number; fromBrowser: number; fromBoth: number };
  destinations: {
    destination: string;
    title: string;
    event: string;
    enabled: boolean;
    paused: boolean;
    sent: number;
    missing: number;
    accuracy: number | null;
    reasons: Record<string, number>;
  }[];
  missing: {
    total: number;
    offset: number;
    nextOffset: number | null;
    orders: {
      orderId: string;
      at: string;
      destination: string;
      reason: string;
      error?: { kind?: string; message?: string; status?: number } | null;
    }[];
  };
}
