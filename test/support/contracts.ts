import { readFileSync } from 'node:fs';

const root = new URL('../../contracts/', import.meta.url);

/** A contract file's exact text (webhook samples carry 18-digit ids that `JSON.parse` would round). */
export function contractText(path: string): string {
  return readFileSync(new URL(path, root), 'utf8');
}

/** A contract file parsed with plain `JSON.parse` (fine for files without unsafe integers). */
export function contractJson<T = any>(path: string): T {
  return JSON.parse(contractText(path)) as T;
}

export const PIXEL_EVENT_FILES = [
  'page_viewed',
  'product_viewed',
  'product_added_to_cart',
  'checkout_started',
  'checkout_contact_info_submitted',
  'checkout_completed',
] as const;

export const WEBHOOK_FIXTURES: Record<string, string> = {
  'carts/create': 'carts_create',
  'carts/update': 'carts_update',
  'checkouts/create': 'checkouts_create',
  'checkouts/update': 'checkouts_update',
  'orders/create': 'orders_create',
  'customers/create': 'customers_create',
  'customers/update': 'customers_update',
  'customers_email_marketing_consent/update': 'customers_email_marketing_consent_update',
  'customers_marketing_consent/update': 'customers_marketing_consent_update',
  'customers/data_request': 'customers_data_request',
  'customers/redact': 'customers_redact',
  'shop/redact': 'shop_redact',
};
