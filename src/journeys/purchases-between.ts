import type { Kysely } from 'kysely';
import type { Database } from '../store/schema.ts';
import type { Purchase } from './journey-repository.ts';

/**
 * The purchases recorded at a time in `(after, until]` (event time, ms), earliest first. An order can be
 * here twice, once by its checkout and once by its order webhook (`orderKey` differs, `checkoutToken` not).
 */
export async function purchasesBetween(
  db: Kysely<Database>,
  after: number,
  until: number,
): Promise<Purchase[]> {
  const rows = await db
    .selectFrom('purchases')
    .selectAll()
    .where('at', '>', after)
    .where('at', '<=', until)
    .orderBy('at')
    .execute();
  return rows.map((r) => ({
    orderKey: r.order_key,
    profileId: r.profile_id,
    at: r.at,
    checkoutToken: r.checkout_token,
    cartToken: r.cart_token,
    value: r.value,
    currency: r.currency,
  }));
}
