import type { Store } from './store.ts';

/**
 * Takes or renews the lease `name` for `holder` until `now + ttl`. Returns true when `holder` holds it
 * afterwards. Exclusive work (the event processor) runs only while its lease is held, so several
 * processes on PostgreSQL never run it twice at once.
 */
export async function acquireLease(
  store: Store,
  name: string,
  holder: string,
  ttl: number,
  now: number,
): Promise<boolean> {
  await store.db
    .insertInto('leases')
    .values({ name, holder, expires_at: now + ttl })
    .onConflict((oc) =>
      oc
        .column('name')
        .doUpdateSet({ holder, expires_at: now + ttl })
        .where((eb) => eb.or([eb('leases.holder', '=', holder), eb('leases.expires_at', '<', now)])),
    )
    .execute();
  const row = await store.db
    .selectFrom('leases')
    .select('holder')
    .where('name', '=', name)
    .executeTakeFirst();
  return row?.holder === holder;
}

/** Gives the lease up at once (graceful shutdown), so another process need not wait for it to expire. */
export async function releaseLease(store: Store, name: string, holder: string): Promise<void> {
  await store.db.deleteFrom('leases').where('name', '=', name).where('holder', '=', holder).execute();
}
