/**
 * Reclaim's consent banner, bundled by `npm run build:banner` into `dist/storefront/banner.js` and served
 * at `GET /v1/consent/banner.js`. The dialog, the held `<script type="text/plain" data-category>` tags and
 * the consent cookie are vanilla-cookieconsent's; this file adds the visitor's regime from Reclaim, Google
 * Consent Mode v2, Shopify's Customer Privacy API, GPC, and the decision's record in Reclaim's ledger.
 */
import * as CookieConsent from 'vanilla-cookieconsent';
import css from 'vanilla-cookieconsent/dist/cookieconsent.css';
import { consentModeState, shopifyTrackingConsent, type ConsentChoices } from '../consent-mode.ts';
import type { BannerTexts } from '../consent-texts.ts';

/** `GET /v1/consent/config`'s answer. */
interface BannerConfig {
  regime: string;
  mode: 'opt-in' | 'opt-out' | 'notice';
  categories: string[];
  defaults: ConsentChoices;
  gpcHasForce: boolean;
  gpcDefaults: ConsentChoices | null;
  revision: number;
  locale: string;
  texts: BannerTexts;
}

/** What `window.Reclaim.consent.get()` answers once the visitor decided (CONTRACT.md). */
interface ConsentView extends ConsentChoices {
  regime: string;
  revision: number;
  decidedAt: string;
}

interface ShopifyPrivacy {
  setTrackingConsent(consent: Record<string, boolean>, callback: (result?: { error?: string }) => void): void;
  currentVisitorConsent?(): Record<string, string>;
}

declare global {
  interface Window {
    dataLayer?: unknown[];
    gtag?: (...args: unknown[]) => void;
    Shopify?: {
      loadFeatures?: (
        features: { name: string; version: string }[],
        callback: (error?: unknown) => void,
      ) => void;
      customerPrivacy?: ShopifyPrivacy;
    };
    Reclaim?: { consent?: unknown };
  }
  interface Navigator {
    globalPrivacyControl?: boolean;
  }
}

const COOKIE = 'reclaim_consent';
const SOURCE = 'reclaim-banner';
/** Category names in the cookie and in `data-category`; `saleOfData` is the cookie's `sale_of_data`. */
const SALE = 'sale_of_data';

const script = document.currentScript as HTMLScriptElement | null;
const reclaimOrigin = script?.src ? new URL(script.src).origin : location.origin;
const key = script?.dataset.key ?? '';
const gpc = navigator.globalPrivacyControl === true;

// Google Consent Mode v2 defaults, synchronously and before any tag: everything denied until the regime
// is known (the strictest answer), with `wait_for_update` holding Google's tags for the banner's update.
window.dataLayer = window.dataLayer ?? [];
if (typeof window.gtag !== 'function') {
  window.gtag = function gtag() {
    // gtag.js reads the `arguments` object itself, not an array.
    // eslint-disable-next-line prefer-rest-params
    window.dataLayer!.push(arguments);
  };
}
const gtag = (...args: unknown[]) => window.gtag!(...args);
gtag('consent', 'default', {
  ...consentModeState({ analytics: false, marketing: false, preferences: false, saleOfData: false }),
  wait_for_update: 500,
});
gtag('set', 'ads_data_redaction', true);

let config: BannerConfig | undefined;
const pending: (() => void)[] = [];
const whenReady = (action: () => void) => (config ? action() : pending.push(action));

/** The four choices of the current decision, or undefined before one (on this revision). */
function decided(): ConsentChoices | undefined {
  if (!config || !CookieConsent.validConsent()) return undefined;
  return choicesOf(CookieConsent.getUserPreferences().acceptedCategories);
}

function choicesOf(accepted: readonly string[]): ConsentChoices {
  const marketing = accepted.includes('marketing');
  return {
    analytics: accepted.includes('analytics'),
    marketing,
    preferences: accepted.includes('preferences'),
    // Where no separate choice is offered, selling or sharing follows marketing.
    saleOfData: config?.categories.includes('saleOfData') ? accepted.includes(SALE) : marketing,
  };
}

function categoriesOf(choices: ConsentChoices): string[] {
  const list = ['necessary'];
  if (choices.analytics) list.push('analytics');
  if (choices.marketing) list.push('marketing');
  if (choices.preferences) list.push('preferences');
  if (choices.saleOfData && config?.categories.includes('saleOfData')) list.push(SALE);
  return list;
}

const sameChoices = (a: ConsentChoices, b: ConsentChoices) =>
  a.analytics === b.analytics &&
  a.marketing === b.marketing &&
  a.preferences === b.preferences &&
  a.saleOfData === b.saleOfData;

const shopifyPrivacy = new Promise<ShopifyPrivacy | undefined>((resolve) => {
  const shopify = window.Shopify;
  if (typeof shopify?.loadFeatures !== 'function') return resolve(undefined);
  shopify.loadFeatures([{ name: 'consent-tracking-api', version: '0.1' }], (error) => {
    if (error) console.warn('[Reclaim] Shopify Customer Privacy API did not load', error);
    resolve(error ? undefined : window.Shopify?.customerPrivacy);
  });
});

/** A decision made in this banner: tell Google, Shopify, the page and Reclaim's ledger. */
function recordDecision(choices: ConsentChoices): void {
  gtag('consent', 'update', consentModeState(choices));
  void shopifyPrivacy.then((privacy) =>
    privacy?.setTrackingConsent(shopifyTrackingConsent(choices), (result) => {
      if (result?.error) console.warn('[Reclaim] Shopify refused the consent decision', result.error);
    }),
  );
  announce(choices);
  const texts = config!.texts;
  const cookie = CookieConsent.getCookie();
  const body = {
    subject: { anonymousId: cookie.consentId },
    permission: 'tracking',
    state: Object.values(choices).some(Boolean) ? 'granted' : 'denied',
    categories: choices,
    source: SOURCE,
    wording: `${texts.title}\n${texts.description}`,
    wordingVersion: `reclaim-banner-r${config!.revision}-${config!.locale}`,
    initialState: 'unchecked',
    revision: config!.revision,
    gpc,
    formId: SOURCE,
    captureUrl: location.origin + location.pathname,
    timestamp: new Date().toISOString(),
  };
  void fetch(`${reclaimOrigin}/v1/consent?key=${encodeURIComponent(key)}`, {
    method: 'POST',
    // text/plain keeps this a simple request: no preflight, and it survives the page unloading.
    headers: { 'content-type': 'text/plain' },
    body: JSON.stringify(body),
    keepalive: true,
    credentials: 'omit',
  })
    .then(async (response) => {
      if (!response.ok) console.error('[Reclaim] consent decision not recorded', await response.text());
    })
    .catch((error: unknown) => console.error('[Reclaim] consent decision not recorded', error));
}

function announce(choices: ConsentChoices): void {
  window.dispatchEvent(new CustomEvent('reclaim:consent', { detail: { ...choices } }));
}

/** A decision Shopify already holds (its banner, another app): taken over, not recorded again. */
function adoptShopify(choices: ConsentChoices): void {
  const current = decided();
  if (current && sameChoices(current, choices)) return;
  adopting = true;
  try {
    CookieConsent.acceptCategory(categoriesOf(choices));
  } finally {
    adopting = false;
  }
  CookieConsent.hide();
  gtag('consent', 'update', consentModeState(choices));
  announce(choices);
}
let adopting = false;

function fromShopify(consent: Record<string, string> | undefined): ConsentChoices | undefined {
  if (!consent) return undefined;
  const values = [consent.analytics, consent.marketing, consent.preferences, consent.sale_of_data];
  if (values.some((v) => v !== 'yes' && v !== 'no')) return undefined;
  return {
    analytics: consent.analytics === 'yes',
    marketing: consent.marketing === 'yes',
    preferences: consent.preferences === 'yes',
    saleOfData: consent.sale_of_data === 'yes',
  };
}

const escape = (text: string) => text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

async function loadConfig(): Promise<BannerConfig> {
  const stored = /(?:^|;\s*)reclaim_consent=([^;]*)/.exec(document.cookie);
  let storedRevision = 0;
  try {
    const value = stored ? (JSON.parse(decodeURIComponent(stored[1]!)) as { revision?: unknown }) : undefined;
    storedRevision = Number(value?.revision) || 0;
  } catch {
    storedRevision = 0;
  }
  const locale = script?.dataset.locale ?? (document.documentElement.lang || navigator.language);
  const query = new URLSearchParams({ key, banner: '1', decided: String(storedRevision), locale });
  if (gpc) query.set('gpc', '1');
  const response = await fetch(`${reclaimOrigin}/v1/consent/config?${query}`, { credentials: 'omit' });
  if (!response.ok) throw new Error(`${response.status} ${await response.text()}`);
  return (await response.json()) as BannerConfig;
}

async function start(): Promise<void> {
  const hadCookie = /(?:^|;\s*)reclaim_consent=/.test(document.cookie);
  try {
    config = await loadConfig();
  } catch (error) {
    console.error(
      '[Reclaim] the consent banner could not reach Reclaim at',
      reclaimOrigin,
      '- every held tag stays held.',
      error,
    );
    return;
  }
  if (document.readyState === 'loading') {
    await new Promise((resolve) => document.addEventListener('DOMContentLoaded', resolve, { once: true }));
  }
  const style = document.createElement('style');
  style.textContent = css + OVERRIDES;
  document.head.appendChild(style);

  const c = config;
  const gpcApplies = gpc && c.gpcHasForce;
  const defaults = gpcApplies && c.gpcDefaults ? c.gpcDefaults : c.defaults;
  const t = Object.fromEntries(
    (Object.entries(c.texts) as [string, string][]).map(([name, text]) => [name, escape(text)]),
  ) as unknown as BannerTexts;
  const offered = (name: string) => c.categories.includes(name);
  const doNotSell = offered('saleOfData')
    ? `<button type="button" class="cc__link reclaim-do-not-sell" data-reclaim="do-not-sell">${t.doNotSell}</button>`
    : undefined;

  await CookieConsent.run({
    mode: c.mode === 'opt-in' ? 'opt-in' : 'opt-out',
    revision: c.revision,
    // US visitors whose browser sends GPC already said no to selling and sharing: not asked again.
    autoShow: !gpcApplies,
    hideFromBots: false,
    manageScriptTags: true,
    disablePageInteraction: false,
    cookie: { name: COOKIE, expiresAfterDays: 365, sameSite: 'Lax' },
    guiOptions: {
      consentModal: { layout: 'box wide', position: 'bottom center', equalWeightButtons: true },
      preferencesModal: { layout: 'box', equalWeightButtons: true },
    },
    categories: {
      necessary: { enabled: true, readOnly: true },
      preferences: { enabled: defaults.preferences },
      analytics: { enabled: defaults.analytics },
      marketing: { enabled: defaults.marketing },
      ...(offered('saleOfData') ? { [SALE]: { enabled: defaults.saleOfData } } : {}),
    },
    language: {
      default: c.locale,
      translations: {
        [c.locale]: {
          consentModal: {
            label: t.title,
            title: t.title,
            description: t.description,
            acceptAllBtn: t.acceptAll,
            acceptNecessaryBtn: t.rejectAll,
            showPreferencesBtn: t.preferences,
            ...(doNotSell ? { footer: doNotSell } : {}),
          },
          preferencesModal: {
            title: t.title,
            acceptAllBtn: t.acceptAll,
            acceptNecessaryBtn: t.rejectAll,
            savePreferencesBtn: t.save,
            closeIconLabel: t.preferences,
            sections: [
              { description: t.description },
              { title: t.necessary, description: t.necessaryDescription, linkedCategory: 'necessary' },
              {
                title: t.preferencesCategory,
                description: t.preferencesDescription,
                linkedCategory: 'preferences',
              },
              { title: t.analytics, description: t.analyticsDescription, linkedCategory: 'analytics' },
              { title: t.marketing, description: t.marketingDescription, linkedCategory: 'marketing' },
              ...(offered('saleOfData')
                ? [{ title: t.saleOfData, description: t.saleOfDataDescription, linkedCategory: SALE }]
                : []),
            ],
          },
        },
      },
    },
    onConsent: ({ cookie }) => {
      // On every page with a decision: Consent Mode does not remember choices, so the update is repeated.
      if (!firstDecision) gtag('consent', 'update', consentModeState(choicesOf(cookie.categories)));
    },
    onFirstConsent: ({ cookie }) => {
      firstDecision = true;
      recordOnce(cookie);
    },
    onChange: ({ cookie }) => recordOnce(cookie),
  });

  const current = decided();
  if (!current) {
    if (c.mode !== 'opt-in') gtag('consent', 'update', consentModeState(defaults));
  } else if (!firstDecision) {
    announce(current);
  }
  document.addEventListener('click', (event) => {
    const target = event.target as Element | null;
    if (target?.closest('[data-reclaim="do-not-sell"]')) {
      const base = decided() ?? defaults;
      CookieConsent.acceptCategory(categoriesOf({ ...base, marketing: false, saleOfData: false }));
      CookieConsent.hide();
    }
  });

  // Shopify: a decision it already holds (made before Reclaim's banner was installed) is taken over;
  // decisions made elsewhere later are followed.
  void shopifyPrivacy.then((privacy) => {
    const existing = fromShopify(privacy?.currentVisitorConsent?.());
    if (existing && !current && !hadCookie) adoptShopify(existing);
  });
  document.addEventListener('visitorConsentCollected', (event) => {
    const detail = (event as CustomEvent<Record<string, boolean>>).detail;
    if (!detail) return;
    adoptShopify({
      analytics: detail.analyticsAllowed === true,
      marketing: detail.marketingAllowed === true,
      preferences: detail.preferencesAllowed === true,
      saleOfData: detail.saleOfDataAllowed === true,
    });
  });

  for (const action of pending.splice(0)) action();
}
let firstDecision = false;
let lastRecorded = '';

/**
 * In opt-out mode a first decision that differs from the defaults is both the first consent and a change:
 * it is recorded once.
 */
function recordOnce(cookie: CookieConsent.CookieValue): void {
  if (adopting || cookie.lastConsentTimestamp === lastRecorded) return;
  lastRecorded = cookie.lastConsentTimestamp;
  recordDecision(choicesOf(cookie.categories));
}

/**
 * Darker secondary text and a visible focus ring: the library's grey on white falls short of WCAG AA
 * contrast for small text.
 */
const OVERRIDES = `
#cc-main{--cc-secondary-color:#3f4449;--cc-btn-secondary-bg:#dfe5ea;--cc-btn-secondary-color:#1f2326;--cc-btn-primary-bg:#1f2326;--cc-btn-primary-color:#ffffff;--cc-btn-secondary-hover-bg:#c9d2da;}
#cc-main button:focus-visible,#cc-main a:focus-visible{outline:3px solid #1a5fb4;outline-offset:2px;}
#cc-main .reclaim-do-not-sell{background:none;border:0;padding:0;font:inherit;color:inherit;text-decoration:underline;cursor:pointer;}
`;

const api = {
  acceptAll: () => whenReady(() => CookieConsent.acceptCategory('all')),
  rejectAll: () => whenReady(() => CookieConsent.acceptCategory([])),
  set: (choices: Partial<ConsentChoices>) =>
    whenReady(() => {
      const base = decided() ?? config!.defaults;
      CookieConsent.acceptCategory(categoriesOf({ ...base, ...choices }));
      CookieConsent.hide();
    }),
  get: (): ConsentView | null => {
    const choices = decided();
    if (!choices || !config) return null;
    const cookie = CookieConsent.getCookie();
    return {
      ...choices,
      regime: config.regime,
      revision: config.revision,
      decidedAt: new Date(cookie.lastConsentTimestamp).toISOString(),
    };
  },
  show: () => whenReady(() => CookieConsent.show(true)),
};
const acceptAndHide = (action: () => void) => () => {
  action();
  whenReady(() => CookieConsent.hide());
};
window.Reclaim = {
  ...window.Reclaim,
  consent: { ...api, acceptAll: acceptAndHide(api.acceptAll), rejectAll: acceptAndHide(api.rejectAll) },
};

void start();
