import type { DeliveryError } from './delivery-errors.ts';

export interface PartnerRequestInit {
  method?: 'GET' | 'POST' | 'PATCH';
  /** This request's own headers; they win over the destination's (`DestinationDefinition.headers`). */
  headers?: Record<string, string>;
  /** Serialised as the JSON body. */
  json?: unknown;
}

/** A partner's answer, read in full. */
export interface PartnerResponse {
  status: number;
  headers: Headers;
  text: string;
  /** The body parsed as JSON, or undefined when it is not JSON. */
  body: unknown;
}

/**
 * How destinations call their partner: one HTTP request, answered with the response on 2xx and a
 * classified `DeliveryError` otherwise. Delivery builds it, with timeouts, user agent and the
 * destination's headers, once.
 */
export type PartnerRequest = (url: string, init?: PartnerRequestInit) => Promise<PartnerResponse>;

/** A destination's reading of a partner error, where the status alone does not say enough. */
export type ErrorClassifier = (response: PartnerResponse) => DeliveryError | undefined;
