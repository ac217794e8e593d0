import type { Config } from '../config/config-schema.ts';

/** Every text the banner shows; a store overrides any of them per locale (`consent.texts`). */
export interface BannerTexts {
  title: string;
  description: string;
  acceptAll: string;
  rejectAll: string;
  preferences: string;
  save: string;
  /** US: the button that opts out of sale and sharing. */
  doNotSell: string;
  necessary: string;
  analytics: string;
  marketing: string;
  preferencesCategory: string;
  saleOfData: string;
  /** One sentence under each category in the preferences dialog. */
  necessaryDescription: string;
  preferencesDescription: string;
  analyticsDescription: string;
  marketingDescription: string;
  saleOfDataDescription: string;
}

const DEFAULTS = new Map<string, BannerTexts>([
  [
    'en',
    {
      title: 'Your privacy choices',
      description:
        'We use cookies and similar tools to run this store, and, if you allow it, to measure visits, remember your preferences and show you relevant ads. You can change your choice at any time.',
      acceptAll: 'Accept all',
      rejectAll: 'Reject all',
      preferences: 'Preferences',
      save: 'Save choices',
      doNotSell: 'Do not sell or share my personal information',
      necessary: 'Strictly necessary',
      analytics: 'Analytics',
      marketing: 'Marketing',
      preferencesCategory: 'Preferences',
      saleOfData: 'Sale or sharing of personal information',
      necessaryDescription: 'Needed for the cart, checkout and security. Always on.',
      preferencesDescription: 'Remember choices such as your currency and language.',
      analyticsDescription: 'Count visits and see which pages are used, so we can improve the store.',
      marketingDescription: 'Let advertising and email partners show you relevant offers.',
      saleOfDataDescription: 'Share data with partners for targeted advertising.',
    },
  ],
  [
    'de',
    {
      title: 'Ihre Datenschutz-Einstellungen',
      description:
        'Wir verwenden Cookies und ähnliche Technologien, um diesen Shop zu betreiben und, wenn Sie zustimmen, Besuche zu messen, Ihre Einstellungen zu speichern und Ihnen passende Werbung zu zeigen. Sie können Ihre Wahl jederzeit ändern.',
      acceptAll: 'Alle akzeptieren',
      rejectAll: 'Alle ablehnen',
      preferences: 'Einstellungen',
      save: 'Auswahl speichern',
      doNotSell: 'Meine personenbezogenen Daten nicht verkaufen oder weitergeben',
      necessary: 'Unbedingt erforderlich',
      analytics: 'Statistik',
      marketing: 'Marketing',
      preferencesCategory: 'Präferenzen',
      saleOfData: 'Verkauf oder Weitergabe personenbezogener Daten',
      necessaryDescription: 'Für Warenkorb, Kasse und Sicherheit nötig. Immer aktiv.',
      preferencesDescription: 'Speichert Einstellungen wie Währung und Sprache.',
      analyticsDescription: 'Zählt Besuche und genutzte Seiten, damit wir den Shop verbessern können.',
      marketingDescription: 'Erlaubt Werbe- und E-Mail-Partnern, Ihnen passende Angebote zu zeigen.',
      saleOfDataDescription: 'Weitergabe von Daten an Partner für personalisierte Werbung.',
    },
  ],
  [
    'fr',
    {
      title: 'Vos choix de confidentialité',
      description:
        'Nous utilisons des cookies et des outils similaires pour faire fonctionner cette boutique et, si vous l’acceptez, mesurer les visites, mémoriser vos préférences et vous montrer des publicités pertinentes. Vous pouvez modifier votre choix à tout moment.',
      acceptAll: 'Tout accepter',
      rejectAll: 'Tout refuser',
      preferences: 'Préférences',
      save: 'Enregistrer mes choix',
      doNotSell: 'Ne pas vendre ni partager mes renseignements personnels',
      necessary: 'Strictement nécessaires',
      analytics: 'Mesure d’audience',
      marketing: 'Marketing',
      preferencesCategory: 'Préférences',
      saleOfData: 'Vente ou partage de renseignements personnels',
      necessaryDescription: 'Nécessaires au panier, au paiement et à la sécurité. Toujours actifs.',
      preferencesDescription: 'Mémorisent vos choix, comme la devise et la langue.',
      analyticsDescription: 'Comptent les visites et les pages consultées pour améliorer la boutique.',
      marketingDescription:
        'Permettent à nos partenaires publicitaires et e-mail de vous montrer des offres pertinentes.',
      saleOfDataDescription: 'Partage de données avec des partenaires pour la publicité ciblée.',
    },
  ],
]);

/**
 * The texts for the visitor's locale: the store's own for `fr-CA`, then for `fr`, over Reclaim's for `fr`,
 * then English. Returns the locale the texts are in, which is recorded with each decision.
 */
export function bannerTexts(
  storeTexts: Config['consent']['texts'],
  requested: string | undefined,
): { locale: string; texts: BannerTexts } {
  const match = /^([a-z]{2})(?:[-_]([a-z]{2}))?/i.exec(requested ?? '');
  const language = match?.[1]?.toLowerCase() ?? 'en';
  const full = match?.[2] ? `${language}-${match[2].toUpperCase()}` : language;
  const store = new Map(Object.entries(storeTexts));
  const own = store.get(full) ?? store.get(language);
  const base = DEFAULTS.get(language);
  const locale = own ? (store.has(full) ? full : language) : base ? language : 'en';
  return { locale, texts: { ...DEFAULTS.get('en')!, ...base, ...own } };
}
