import { isIP } from 'node:net';
import type { FastifyRequest } from 'fastify';
import type { Config } from '../config/config-schema.ts';
import { normalizeCountry, normalizeRegion } from '../event-log/identifier-normalizers.ts';

/** What the HTTP request itself says about the visitor, beyond the body. */
export interface RequestSignals {
  ip?: string;
  userAgent?: string;
  /** From the trusted geo headers named in config (`RECLAIM_GEO_COUNTRY_HEADER`, `…_REGION_HEADER`). */
  country?: string;
  region?: string;
  /** `Sec-GPC: 1`: the browser asks not to sell or share. */
  gpc: boolean;
  /** When Reclaim received the request (epoch ms, from the injected clock). */
  receivedAt: number;
}

export function readRequestSignals(
  req: FastifyRequest,
  geo: Config['geo'],
  receivedAt: number,
): RequestSignals {
  return signalsFrom(req.headers, req.ip || undefined, geo, receivedAt);
}

/** Signals from request headers (live requests, and replayed ones). */
export function signalsFrom(
  headers: Record<string, string | string[] | undefined>,
  ip: string | undefined,
  geo: Config['geo'],
  receivedAt: number,
): RequestSignals {
  const header = (name: string) => {
    // The header names come from config: an operator's `constructor` finds no header, not `Object`.
    const value = Object.hasOwn(headers, name) ? headers[name] : undefined;
    return typeof value === 'string' && value.length > 0 && value.length <= 1024 ? value : undefined;
  };
  const country = normalizeCountry(header(geo.countryHeader));
  const region = normalizeRegion(header(geo.regionHeader), country);
  return {
    // `X-Forwarded-For` is the client's to write: only an address is kept as one.
    ip: ip !== undefined && isIP(ip) !== 0 ? ip : undefined,
    userAgent: header('user-agent'),
    ...(country ? { country } : {}),
    ...(region ? { region } : {}),
    gpc: header('sec-gpc') === '1',
    receivedAt,
  };
}
