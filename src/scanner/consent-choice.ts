import type { Frame, Locator, Page } from 'playwright-core';

/** Which button the scanner presses: the shopper refusing everything optional, or allowing everything. */
export type Choice = 'reject' | 'accept';

interface Cmp {
  name: string;
  accept: string;
  reject: string;
}

/**
 * The buttons of the consent banners seen on Shopify stores, by their stable ids or classes (each vendor's
 * banner markup). Tried after Reclaim's own names and before the generic wording, so the report can say
 * which banner it used.
 */
const CMPS: readonly Cmp[] = [
  {
    name: 'Shopify cookie banner',
    accept: '#shopify-pc__banner__btn-accept',
    reject: '#shopify-pc__banner__btn-decline',
  },
  {
    name: 'Cookiebot',
    accept: '#CybotCookiebotDialogBodyLevelButtonLevelOptinAllowAll, #CybotCookiebotDialogBodyButtonAccept',
    reject: '#CybotCookiebotDialogBodyButtonDecline',
  },
  { name: 'OneTrust', accept: '#onetrust-accept-btn-handler', reject: '#onetrust-reject-all-handler' },
  { name: 'CookieYes', accept: '.cky-btn-accept', reject: '.cky-btn-reject' },
  {
    name: 'Klaro',
    accept: '.klaro .cm-btn-success, .klaro .cm-btn-accept-all',
    reject: '.klaro .cn-decline, .klaro .cm-btn-decline',
  },
  { name: 'Pandectes', accept: '.pd-cp-ui-acceptAll', reject: '.pd-cp-ui-rejectAll' },
  {
    name: 'Consentmo',
    accept: '#cookie-bar .cc-allow, .isense-cc-allow',
    reject: '#cookie-bar .cc-deny, .isense-cc-deny',
  },
  { name: 'cookieconsent', accept: '.cc-window .cc-allow', reject: '.cc-window .cc-deny' },
];

/** Reclaim's own banner names its buttons exactly so (docs/scanner.md); any banner that does is found too. */
const EXACT: Record<Choice, string> = { accept: 'Accept all', reject: 'Reject all' };

/** Common wording, in the languages the region sets, when no known banner matched. */
const GENERIC: Record<Choice, RegExp> = {
  accept:
    /^\s*(accept( all)?( cookies)?|allow( all)?( cookies)?|i agree|agree|ok(ay)?, got it|alle akzeptieren|akzeptieren|alle zulassen|tout accepter|accepter|aceptar( todo)?|accetta( tutto)?|alles accepteren)\s*$/i,
  reject:
    /^\s*(reject( all)?( cookies)?|decline( all)?( cookies)?|deny( all)?|refuse( all)?|(use )?(only )?(strictly )?necessary( cookies)?( only)?|alle ablehnen|ablehnen|tout refuser|refuser|rechazar( todo)?|rifiuta( tutto)?|alles weigeren)\s*$/i,
};

async function firstVisible(locator: Locator): Promise<Locator | undefined> {
  const count = await locator.count().catch(() => 0);
  for (let i = 0; i < Math.min(count, 5); i++) {
    const candidate = locator.nth(i);
    if (await candidate.isVisible().catch(() => false)) return candidate;
  }
  return undefined;
}

async function findIn(
  frame: Frame,
  choice: Choice,
): Promise<{ button: Locator; banner: string } | undefined> {
  const exact = await firstVisible(frame.getByRole('button', { name: EXACT[choice], exact: true }));
  if (exact) return { button: exact, banner: `button "${EXACT[choice]}"` };
  for (const cmp of CMPS) {
    const button = await firstVisible(frame.locator(cmp[choice]));
    if (button) return { button, banner: cmp.name };
  }
  for (const role of ['button', 'link'] as const) {
    const generic = await firstVisible(frame.getByRole(role, { name: GENERIC[choice] }));
    if (generic) {
      const text = ((await generic.textContent().catch(() => '')) ?? '').trim().slice(0, 60);
      return { button: generic, banner: `${role} "${text}"` };
    }
  }
  return undefined;
}

/**
 * Presses the banner's "Reject all" or "Accept all" in the page or any of its frames (some banners live in
 * an iframe). Returns what was pressed, or undefined when no banner offered the choice.
 */
export async function makeChoice(page: Page, choice: Choice, timeout: number): Promise<string | undefined> {
  for (const frame of [page.mainFrame(), ...page.frames().filter((f) => f !== page.mainFrame())]) {
    const found = await findIn(frame, choice);
    if (!found) continue;
    await found.button.click({ timeout });
    return frame === page.mainFrame() ? found.banner : `${found.banner} in frame ${frame.url()}`;
  }
  return undefined;
}
