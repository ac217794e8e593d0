/**
 * The scanner's classification table: which cookie names, storage keys and hosts belong to which vendor and
 * what they are for. Data, maintained by the project; each row names where its classification comes from,
 * so a store owner or a reviewer can check it. A pattern ending in `*` matches every name starting with
 * what precedes it; a host pattern matches that host and its subdomains. The most specific row wins.
 */

/** What a finding is for (CONTRACT.md "Scanner"). `necessary`: strictly necessary, exempt from consent. */
export type Category = 'necessary' | 'preferences' | 'analytics' | 'marketing' | 'unknown';

export interface VendorRow {
  vendor: string;
  category: Exclude<Category, 'unknown'>;
  cookies?: readonly string[];
  storage?: readonly string[];
  hosts?: readonly string[];
  /** Where the classification comes from: the vendor's own cookie list, or the reasoning when it has none. */
  source: string;
}

const SHOPIFY_COOKIES = 'https://www.shopify.com/legal/cookies';
const APP_WIDGET =
  'the app’s storefront widget (content the shopper asked to see); no tracking cookie documented';

export const VENDORS: readonly VendorRow[] = [
  {
    vendor: 'Shopify',
    category: 'necessary',
    cookies: [
      '_shopify_essential',
      'cart',
      'cart_sig',
      'cart_ts',
      'cart_ver',
      'cart_currency',
      'secure_customer_sig',
      '_secure_session_id',
      'checkout_session_token*',
      'checkout_session_lookup',
      'checkout',
      'checkout_token',
      'secret',
      'storefront_digest',
      'localization',
      'keep_alive',
      '_tracking_consent',
      '_cmp_a',
      '_ab',
      '_shopify_country',
      '_storefront_u',
      '_pay_session',
      'shopify_pay_redirect',
      'shopify_pay',
      '_shopify_u',
      '_identity_session',
      'identity-state*',
      'master_device_id',
      'previous_step',
      'hide_shopify_pay_for_checkout',
    ],
    hosts: ['cdn.shopify.com', 'cdn.shopifycloud.com', 'shopifycloud.com', 'shopifycdn.net', 'shop.app'],
    source: `${SHOPIFY_COOKIES} (necessary: cart, checkout, login, consent choice, security)`,
  },
  {
    vendor: 'Shopify',
    category: 'analytics',
    cookies: [
      '_shopify_y',
      '_shopify_s',
      '_shopify_sa_p',
      '_shopify_sa_t',
      '_shopify_analytics',
      '_shopify_m',
      '_shopify_tm',
      '_shopify_tw',
      '_shopify_d',
      '_shopify_fs',
      '_shopify_ga',
      '_y',
      '_s',
      '_landing_page',
      '_orig_referrer',
      '_merchant_essential',
    ],
    hosts: ['monorail-edge.shopifysvc.com', 'shopifysvc.com'],
    source: `${SHOPIFY_COOKIES} (reporting and analytics); monorail is Shopify's analytics collector`,
  },
  {
    vendor: 'Shopify',
    category: 'marketing',
    cookies: ['_shopify_marketing'],
    source: `${SHOPIFY_COOKIES} (marketing)`,
  },
  {
    vendor: 'Klaviyo',
    category: 'marketing',
    cookies: ['__kla_id', '__kla_viewed'],
    storage: ['__kla_viewed', 'klaviyoOnsite', 'klaviyoPagesVisitCount', '__kla_*'],
    hosts: ['klaviyo.com', 'klaviyomail.com'],
    source:
      'https://help.klaviyo.com/hc/en-us/articles/115005076767 (Klaviyo classes __kla_id as targeting; RULES.md T-UK)',
  },
  {
    vendor: 'Meta',
    category: 'marketing',
    cookies: ['_fbp', '_fbc', 'fr'],
    hosts: ['facebook.net', 'facebook.com', 'connect.facebook.net'],
    source: 'https://www.facebook.com/policy/cookies/ (advertising: _fbp, _fbc, fr)',
  },
  {
    vendor: 'Google Analytics (GA4)',
    category: 'analytics',
    cookies: ['_ga', '_ga_*', '_gid', '_gat', '_gat_*', '__utma', '__utmb', '__utmc', '__utmz'],
    hosts: ['google-analytics.com', 'analytics.google.com'],
    source: 'https://support.google.com/analytics/answer/11397207 (GA4 cookie usage)',
  },
  {
    vendor: 'Google Ads',
    category: 'marketing',
    cookies: ['_gcl_au', '_gcl_aw', '_gcl_dc', '_gcl_gb', '_gcl_gs', '_gcl_*', '__gads', '__gpi', '__gsas'],
    hosts: ['googleadservices.com', 'googlesyndication.com', 'adservice.google.com'],
    source: 'https://business.safety.google/adscookies/ (advertising cookies)',
  },
  {
    vendor: 'Google DoubleClick',
    category: 'marketing',
    cookies: ['IDE', 'DSID', 'test_cookie', 'ar_debug', 'FLC', 'RUL'],
    hosts: ['doubleclick.net'],
    source: 'https://business.safety.google/adscookies/ (advertising cookies on doubleclick.net)',
  },
  {
    vendor: 'Google Tag Manager',
    category: 'necessary',
    hosts: ['googletagmanager.com'],
    source:
      'https://support.google.com/tagmanager/answer/9323295 — the loader sets no cookie itself; each tag it loads is judged by its own host and cookies',
  },
  {
    vendor: 'TikTok',
    category: 'marketing',
    cookies: ['_ttp', '_tt_enable_cookie', 'ttcsid', 'ttcsid_*', 'tt_sessionId', 'tt_appInfo'],
    storage: ['tt_appInfo', 'tt_sessionId', 'tt_pixel_session_index', 'TT_*'],
    hosts: ['analytics.tiktok.com', 'tiktok.com', 'tiktokw.us', 'byteoversea.com'],
    source: 'https://ads.tiktok.com/help/article/using-cookies-with-tiktok-pixel',
  },
  {
    vendor: 'Pinterest',
    category: 'marketing',
    cookies: [
      '_pin_unauth',
      '_pinterest_ct_ua',
      '_pinterest_ct_rt',
      '_pinterest_sess',
      '_epik',
      '_derived_epik',
      '_routing_id',
    ],
    storage: ['_epik', '_pin_unauth', '_pinterest_ct_ua'],
    hosts: ['ct.pinterest.com', 'pinterest.com', 'pinimg.com'],
    source: 'https://policy.pinterest.com/en/cookies',
  },
  {
    vendor: 'Snap',
    category: 'marketing',
    cookies: ['_scid', '_scid_r', '_sctr', '_schn', 'sc_at', '_ss_s_*'],
    storage: ['_scid', 'sc_*'],
    hosts: ['sc-static.net', 'snapchat.com', 'tr.snapchat.com'],
    source: 'https://businesshelp.snapchat.com/s/article/pixel-direct-implementation (Snap Pixel cookies)',
  },
  {
    vendor: 'Microsoft Clarity',
    category: 'analytics',
    cookies: ['_clck', '_clsk', 'CLID', 'ANONCHK', 'SM', 'MR'],
    storage: ['_clck', '_clsk', 'clarity-*'],
    hosts: ['clarity.ms'],
    source: 'https://learn.microsoft.com/en-us/clarity/setup-and-installation/cookie-list',
  },
  {
    vendor: 'Microsoft Advertising (UET)',
    category: 'marketing',
    cookies: ['_uetsid', '_uetvid', '_uetmsclkid', 'MUID', '_uetmsdns'],
    storage: ['_uetsid', '_uetvid', '_uetsid_exp', '_uetvid_exp'],
    hosts: ['bat.bing.com', 'bing.com'],
    source: 'https://help.ads.microsoft.com/#apex/ads/en/56959 (UET cookies)',
  },
  {
    vendor: 'Hotjar',
    category: 'analytics',
    cookies: [
      '_hjSessionUser_*',
      '_hjSession_*',
      '_hjid',
      '_hjAbsoluteSessionInProgress',
      '_hjFirstSeen',
      '_hjIncludedInSessionSample*',
      '_hjTLDTest',
      '_hjLocalStorageTest',
      '_hjClosedSurveyInvites',
      '_hj*',
    ],
    storage: ['_hjSessionStorageTest', '_hjLocalStorageTest', 'hjViewportId', 'hjActiveViewportIds', '_hj*'],
    hosts: ['hotjar.com', 'hotjar.io'],
    source:
      'https://help.hotjar.com/hc/en-us/articles/6952777582999 (cookies set by the Hotjar tracking code)',
  },
  {
    vendor: 'Judge.me',
    category: 'preferences',
    hosts: ['judge.me', 'judgeme.imgix.net'],
    source: `https://judge.me/privacy — ${APP_WIDGET}`,
  },
  {
    vendor: 'Yotpo',
    category: 'marketing',
    cookies: ['_yoid', '_yosid', 'yotpo_pixel', '_yotpo*'],
    hosts: ['yotpo.com', 'yotpoapps.com'],
    source:
      'https://www.yotpo.com/cookie-notice/ (reviews and loyalty; _yoid/_yosid identify the visitor across sessions)',
  },
  {
    vendor: 'Okendo',
    category: 'preferences',
    hosts: ['okendo.io'],
    source: `https://www.okendo.io/privacy-policy/ — ${APP_WIDGET}`,
  },
  {
    vendor: 'Stamped',
    category: 'preferences',
    hosts: ['stamped.io'],
    source: `https://stamped.io/privacy — ${APP_WIDGET}`,
  },
  {
    vendor: 'Gorgias',
    category: 'preferences',
    cookies: ['gorgias.*', 'gorgias-*'],
    storage: ['gorgias*', 'gorgias-chat*'],
    hosts: ['gorgias.chat', 'gorgias.io', 'gorgias.help'],
    source: 'https://www.gorgias.com/legal/cookie-policy (chat widget: remembers the conversation)',
  },
  {
    vendor: 'Tidio',
    category: 'preferences',
    storage: ['tidio_state_*', 'tidio*'],
    hosts: ['tidio.co', 'tidiochat.com'],
    source: 'https://www.tidio.com/privacy-policy/ (chat widget: remembers the conversation)',
  },
  {
    vendor: 'Zendesk',
    category: 'preferences',
    cookies: ['__zlcmid', '__zlcprivacy', 'ZD-*'],
    storage: ['ZD-*'],
    hosts: ['zdassets.com', 'zendesk.com', 'zopim.com'],
    source: 'https://support.zendesk.com/hc/en-us/articles/4408836402074 (Zendesk messaging cookies)',
  },
  {
    vendor: 'ReCharge',
    category: 'necessary',
    hosts: ['rechargeapps.com', 'rechargecdn.com'],
    source: 'https://rechargepayments.com/privacy-policy/ — subscription checkout the shopper asked for',
  },
  {
    vendor: 'Privy',
    category: 'marketing',
    cookies: ['_privy_*', 'privy_*'],
    storage: ['privy*'],
    hosts: ['privy.com', 'widget.privy.com', 'privymktg.com'],
    source: 'https://www.privy.com/privacy-policy (pop-ups and email capture; visitor identifiers)',
  },
  {
    vendor: 'Attentive',
    category: 'marketing',
    cookies: [
      '__attentive_id',
      '__attentive_session_id',
      '__attentive_ss_referrer',
      '_attn_',
      '__attentive_*',
      '_attn_*',
    ],
    storage: ['__attentive_*', '_attn_*'],
    hosts: ['attn.tv', 'attentivemobile.com'],
    source: 'https://www.attentive.com/privacy (SMS sign-up and visitor identification)',
  },
  {
    vendor: 'Postscript',
    category: 'marketing',
    cookies: ['ps_*', '_ps_*'],
    storage: ['ps_*', 'postscript*'],
    hosts: ['postscript.io'],
    source: 'https://postscript.io/privacy (SMS sign-up and visitor identification)',
  },
  {
    vendor: 'ReConvert',
    category: 'preferences',
    hosts: ['reconvert.io', 'stilyoapps.com'],
    source: `https://www.reconvert.io/privacy-policy — ${APP_WIDGET} (upsell)`,
  },
  {
    vendor: 'Rebuy',
    category: 'preferences',
    hosts: ['rebuyengine.com'],
    source: `https://www.rebuyengine.com/privacy — ${APP_WIDGET} (upsell recommendations)`,
  },
  {
    vendor: 'Reclaim',
    category: 'necessary',
    cookies: ['reclaim_consent'],
    storage: ['reclaim_consent', 'reclaim:consent*'],
    source: 'Reclaim’s own banner: the consent-choice record, exempt under RULES.md T-EU',
  },
  {
    vendor: 'Cookie banner',
    category: 'necessary',
    cookies: [
      'CookieConsent',
      'OptanonConsent',
      'OptanonAlertBoxClosed',
      'cookieyes-consent',
      'klaro',
      'cookieconsent_status',
      'cookieconsent_preferences_disabled',
      '_pandectes_gdpr',
      'pandectes-*',
    ],
    storage: ['klaro', 'CookieConsent', 'cookieyes-consent'],
    hosts: [
      'cookiebot.com',
      'consentcdn.cookiebot.com',
      'cookielaw.org',
      'onetrust.com',
      'cdn-cookieyes.com',
      'consentmo.com',
      'pandectes.io',
      'kiprotect.com',
    ],
    source:
      'each CMP’s documentation: the store of the visitor’s choice, exempt as strictly necessary (RULES.md T-EU)',
  },
];
