import { isValidPhoneNumber } from 'libphonenumber-js/max';
import { resolveRegime, type SimRegime } from './sim-law.ts';
import type { Random } from './random.ts';
import type { StoreProfile } from './store-profiles.ts';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

export type DeviceKind = 'in_app' | 'mobile_safari' | 'mobile_chrome' | 'desktop';

/** A browser context a shopper uses, with what blocks or forgets what in it. */
export interface Device {
  index: number;
  kind: DeviceKind;
  /** Shopify's pixel `clientId`; in-app browsers get a new one every session (they lose cookies). */
  clientId: string;
  klaviyoBlocked: boolean;
  pixelBlocked: boolean;
  /** Sends Global Privacy Control (US desktops only). */
  gpc: boolean;
  /** The banner decision, where the law asks first; in-app browsers ask again each session. */
  trackingAccepted: boolean;
  userAgent: string;
  screen: { width: number; height: number };
}

/** A product of the simulated catalog. */
export interface Product {
  productId: string;
  variantId: string;
  title: string;
  variantTitle: string;
  sku: string;
  handle: string;
  price: number;
}

/** A simulated person: the truth about them, which Reclaim has to discover. */
export interface Shopper {
  index: number;
  id: string;
  firstName: string;
  lastName: string;
  email: string;
  phone?: string;
  country: string;
  /** ISO 3166-2 subdivision, when the region mix names one. */
  region?: string;
  regime: SimRegime;
  /** Shopify customer id (a record exists for buyers and subscribers; `hasAccount` says who logs in). */
  customerId: string;
  /** Klaviyo's exchange id for this person (what `_kx` and the cookie carry once identified). */
  kx: string;
  hasAccount: boolean;
  pastOrderAt?: number;
  /** Email marketing before the period. */
  initialEmail: 'subscribed' | 'unsubscribed' | 'none';
  initialSms: boolean;
  devices: Device[];
}

const FIRST = [
  'Ana',
  'Ben',
  'Chloé',
  'Dev',
  'Elif',
  'Finn',
  'Greta',
  'Hugo',
  'Ines',
  'Jonas',
  'Kim',
  'Lea',
  'Mia',
  'Noah',
  'Omar',
  'Pia',
];
const LAST = [
  'Berg',
  'Costa',
  'Dubois',
  'Ek',
  'Fischer',
  'Garcia',
  'Hill',
  'Ito',
  'Jansen',
  'Kowal',
  'Lund',
  'Moreau',
  'Novak',
  'Olsen',
];

const USER_AGENTS: Record<DeviceKind, string> = {
  in_app:
    'Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 Instagram 350.0.0.0',
  mobile_safari:
    'Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1',
  mobile_chrome:
    'Mozilla/5.0 (Linux; Android 15; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0.0.0 Mobile Safari/537.36',
  desktop:
    'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0.0.0 Safari/537.36',
};

/** A mobile number of the country, in E.164, that libphonenumber (and so Shopify and Klaviyo) accepts. */
function phoneFor(country: string, rng: Random): string {
  for (let attempt = 0; attempt < 50; attempt++) {
    const candidate = phoneCandidate(country, rng);
    if (isValidPhoneNumber(candidate)) return candidate;
  }
  throw new Error(`no valid phone number pattern for ${country}`);
}

function phoneCandidate(country: string, rng: Random): string {
  const digits = (n: number) => Array.from({ length: n }, () => rng.int(0, 9)).join('');
  switch (country) {
    case 'US':
      return `+1${rng.pick(['212', '310', '415', '512', '617', '305', '312', '206', '404', '720'])}${rng.int(2, 9)}${digits(2)}${digits(4)}`;
    case 'CA':
      return `+1${rng.pick(['416', '604', '514', '613', '403'])}${rng.int(2, 9)}${digits(2)}${digits(4)}`;
    case 'GB':
      return `+447${rng.int(4, 9)}${digits(8)}`;
    case 'DE':
      return `+4915${rng.int(1, 9)}${digits(8)}`;
    case 'FR':
      return `+336${digits(8)}`;
    case 'NL':
      return `+316${digits(8)}`;
    case 'IT':
      return `+393${rng.int(2, 4)}${digits(8)}`;
    case 'ES':
      return `+346${digits(8)}`;
    case 'AT':
      return `+43664${digits(7)}`;
    case 'BE':
      return `+324${rng.int(7, 9)}${digits(7)}`;
    case 'CH':
      return `+417${rng.int(6, 9)}${digits(7)}`;
    case 'AU':
      return `+614${digits(8)}`;
    default:
      return `+4915${rng.int(1, 9)}${digits(7)}`;
  }
}

function deviceKinds(profile: StoreProfile, rng: Random): DeviceKind[] {
  const count = rng.weighted({ 1: profile.devices.one, 2: profile.devices.two, 3: profile.devices.three });
  const phone: DeviceKind = rng.chance(profile.safariShare) ? 'mobile_safari' : 'mobile_chrome';
  const all: DeviceKind[][] = [[phone], [phone, 'desktop'], ['in_app', phone, 'desktop']];
  const kinds = all[Number(count) - 1]!;
  // A one-device shopper on a computer, sometimes.
  if (kinds.length === 1 && !rng.chance(profile.mobileShare)) return ['desktop'];
  // Two devices: sometimes the phone is an in-app browser instead.
  if (kinds.length === 2 && rng.chance(profile.inAppShare)) return ['in_app', 'desktop'];
  return kinds;
}

/** A shopper, deterministically from the shopper's own random stream. */
export function createShopper(index: number, rng: Random, profile: StoreProfile, start: number): Shopper {
  const place = rng.weighted(profile.regions);
  const [country, sub] = place.split('-') as [string, string | undefined];
  const region = sub ? `${country}-${sub}` : undefined;
  const firstName = rng.pick(FIRST);
  const lastName = rng.pick(LAST);
  const pastBuyer = rng.chance(profile.pastBuyerRate);
  const hasAccount = rng.chance(pastBuyer ? profile.accountRate.pastBuyer : profile.accountRate.other);
  const phone = rng.chance(profile.phoneRate) ? phoneFor(country, rng) : undefined;
  const emailRoll = rng.next();
  const initialEmail =
    emailRoll < profile.subscriberRate
      ? 'subscribed'
      : emailRoll < profile.subscriberRate + profile.unsubscribedRate
        ? 'unsubscribed'
        : 'none';
  const regime = resolveRegime(country, region);
  const devices = deviceKinds(profile, rng).map((kind, i): Device => {
    const blocked =
      kind === 'desktop'
        ? profile.klaviyoBlocked.desktop
        : kind === 'in_app'
          ? profile.klaviyoBlocked.inApp
          : profile.klaviyoBlocked.mobile;
    const klaviyoBlocked = rng.chance(blocked);
    return {
      index: i,
      kind,
      clientId: `${rng.hex(8)}-${rng.hex(4)}-4${rng.hex(3)}-a${rng.hex(3)}-${rng.hex(12)}`,
      klaviyoBlocked,
      // Blockers that catch a first-party pixel also catch Klaviyo's script.
      pixelBlocked: klaviyoBlocked && rng.chance(profile.pixelBlocked / Math.max(blocked, 0.01)),
      gpc: country === 'US' && kind === 'desktop' && rng.chance(profile.gpcRate),
      trackingAccepted: rng.chance(profile.trackingAcceptRate),
      userAgent: USER_AGENTS[kind],
      screen: kind === 'desktop' ? { width: 1728, height: 1117 } : { width: 393, height: 852 },
    };
  });
  return {
    index,
    id: `s${index}`,
    firstName,
    lastName,
    email: `${firstName
      .normalize('NFD')
      .replace(/[^A-Za-z]/g, '')
      .toLowerCase()}.${lastName.toLowerCase()}.${index}@mail.example`,
    phone,
    country,
    region,
    regime,
    // Shopify keeps a customer record for every buyer and subscriber; only account holders log in.
    customerId: String(7_000_000_000_000 + index),
    kx: `${rng.hex(12).toUpperCase()}.Rcl${index % 997}`,
    hasAccount,
    pastOrderAt: pastBuyer ? start - rng.int(20, 600) * DAY : undefined,
    initialEmail,
    initialSms: phone !== undefined && rng.chance(profile.smsSubscriberRate),
    devices,
  };
}
