import { parsePhoneNumberFromString } from 'libphonenumber-js/max';

/**
 * Marketing SMS only between 08:00 and 20:00 in the recipient's local time (RULES.md S-US: stricter than
 * the TCPA's 8–21 because of state laws; applied everywhere as a product rule).
 */
export const QUIET_HOURS = { from: 8, until: 20 } as const;

const US_ZONES: ReadonlyMap<string, string> = new Map(
  Object.entries({
    // Pacific
    CA: 'America/Los_Angeles',
    WA: 'America/Los_Angeles',
    OR: 'America/Los_Angeles',
    NV: 'America/Los_Angeles',
    // Mountain
    AZ: 'America/Phoenix',
    CO: 'America/Denver',
    ID: 'America/Boise',
    MT: 'America/Denver',
    NM: 'America/Denver',
    UT: 'America/Denver',
    WY: 'America/Denver',
    // Central
    AL: 'America/Chicago',
    AR: 'America/Chicago',
    IA: 'America/Chicago',
    IL: 'America/Chicago',
    KS: 'America/Chicago',
    LA: 'America/Chicago',
    MN: 'America/Chicago',
    MO: 'America/Chicago',
    MS: 'America/Chicago',
    ND: 'America/Chicago',
    NE: 'America/Chicago',
    OK: 'America/Chicago',
    SD: 'America/Chicago',
    TN: 'America/Chicago',
    TX: 'America/Chicago',
    WI: 'America/Chicago',
    // Alaska, Hawaii
    AK: 'America/Anchorage',
    HI: 'Pacific/Honolulu',
  }),
);
const CA_ZONES: ReadonlyMap<string, string> = new Map(
  Object.entries({
    BC: 'America/Vancouver',
    AB: 'America/Edmonton',
    SK: 'America/Regina',
    MB: 'America/Winnipeg',
    ON: 'America/Toronto',
    QC: 'America/Toronto',
    NB: 'America/Moncton',
    NS: 'America/Halifax',
    PE: 'America/Halifax',
    NL: 'America/St_Johns',
    YT: 'America/Whitehorse',
    NT: 'America/Yellowknife',
    NU: 'America/Iqaluit',
  }),
);
const COUNTRY_ZONES: ReadonlyMap<string, string> = new Map(
  Object.entries({
    GB: 'Europe/London',
    IE: 'Europe/Dublin',
    PT: 'Europe/Lisbon',
    FR: 'Europe/Paris',
    DE: 'Europe/Berlin',
    ES: 'Europe/Madrid',
    IT: 'Europe/Rome',
    NL: 'Europe/Amsterdam',
    BE: 'Europe/Brussels',
    CH: 'Europe/Zurich',
    AT: 'Europe/Vienna',
    SE: 'Europe/Stockholm',
    NO: 'Europe/Oslo',
    DK: 'Europe/Copenhagen',
    FI: 'Europe/Helsinki',
    PL: 'Europe/Warsaw',
    GR: 'Europe/Athens',
    RO: 'Europe/Bucharest',
    JP: 'Asia/Tokyo',
    AU: 'Australia/Sydney',
    NZ: 'Pacific/Auckland',
    IN: 'Asia/Kolkata',
    BR: 'America/Sao_Paulo',
    MX: 'America/Mexico_City',
    SG: 'Asia/Singapore',
    ZA: 'Africa/Johannesburg',
  }),
);

/**
 * The time zones the recipient may be in: the phone number's country, narrowed by the shopper's known
 * subdivision. Where the subdivision is unknown the whole span is used (a US number without a state must
 * be inside the window from New York to Honolulu).
 */
export function recipientZones(phone: string, region: string | undefined): string[] {
  const country = parsePhoneNumberFromString(phone)?.country;
  const sub = region?.startsWith(`${country}-`) ? region.split('-')[1] : undefined;
  if (country === 'US') {
    if (sub) return [US_ZONES.get(sub) ?? 'America/New_York'];
    return ['America/New_York', 'America/Los_Angeles', 'Pacific/Honolulu'];
  }
  if (country === 'CA') {
    const zone = sub ? CA_ZONES.get(sub) : undefined;
    return zone ? [zone] : ['America/St_Johns', 'America/Vancouver'];
  }
  const zone = country ? COUNTRY_ZONES.get(country) : undefined;
  if (zone) return [zone];
  return ['UTC'];
}

/** One formatter per zone: building an `Intl.DateTimeFormat` costs far more than using one. */
const formatters = new Map<string, Intl.DateTimeFormat>();

function localHour(at: number, zone: string): number {
  let format = formatters.get(zone);
  if (!format) {
    format = new Intl.DateTimeFormat('en-GB', {
      timeZone: zone,
      hour: 'numeric',
      minute: 'numeric',
      hourCycle: 'h23',
    });
    formatters.set(zone, format);
  }
  const parts = format.formatToParts(at);
  const hour = Number(parts.find((p) => p.type === 'hour')!.value);
  const minute = Number(parts.find((p) => p.type === 'minute')!.value);
  return hour + minute / 60;
}

const inWindow = (at: number, zones: readonly string[]) =>
  zones.every((zone) => {
    const hour = localHour(at, zone);
    return hour >= QUIET_HOURS.from && hour < QUIET_HOURS.until;
  });

/** `undefined` when `at` is inside the window in every zone; otherwise the next moment that is. */
export function nextAllowedTime(at: number, zones: readonly string[]): number | undefined {
  if (inWindow(at, zones)) return undefined;
  const step = 15 * 60_000;
  let t = Math.ceil(at / step) * step;
  for (let i = 0; i < 4 * 72; i++, t += step) if (inWindow(t, zones)) return t;
  // No common window (zones too far apart): take the first zone's window.
  return nextAllowedTime(at, zones.slice(0, 1));
}
