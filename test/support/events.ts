import type { CanonicalEvent } from '../../src/event-log/canonical-event.ts';
import type { Store } from '../../src/store/store.ts';
import { readStoredEvent } from '../../src/event-log/event-log.ts';

/** Every stored canonical event, in log order. */
export async function storedEvents(store: Store): Promise<CanonicalEvent[]> {
  const rows = await store.db.selectFrom('events').selectAll().orderBy('seq').execute();
  return rows.map(readStoredEvent);
}

export async function countEvents(store: Store): Promise<number> {
  const row = await store.db
    .selectFrom('events')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .executeTakeFirstOrThrow();
  return Number(row.n);
}
