import type { CanonicalEvent } from '../../src/ingest/canonical-event.ts';
import type { Store } from '../../src/store/store.ts';

/** Every stored canonical event, in log order. */
export async function storedEvents(store: Store): Promise<CanonicalEvent[]> {
  const rows = await store.db.selectFrom('events').select(['body_json']).orderBy('seq').execute();
  return rows.map((r) => JSON.parse(r.body_json) as CanonicalEvent);
}

export async function countEvents(store: Store): Promise<number> {
  const row = await store.db
    .selectFrom('events')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .executeTakeFirstOrThrow();
  return Number(row.n);
}
