import type { ErasureStep } from '../identity/erasure.ts';
import type { ProfileSection } from '../identity/profile-view.ts';
import { capabilitiesOf } from '../store/capabilities.ts';
import { inChunks } from '../store/in-chunks.ts';
import type { TriggerBody } from './firing.ts';

/** Journeys, purchases, triggers and their caps of the erased shoppers (pending triggers never go out). */
export const eraseJourneys: ErasureStep = async (trx, scope) => {
  if (scope.all) {
    const counts: Record<string, number> = {};
    for (const table of ['trigger_caps', 'triggers', 'purchases', 'journeys'] as const) {
      counts[table] = Number((await trx.deleteFrom(table).executeTakeFirst()).numDeletedRows);
    }
    return counts;
  }
  const capabilities = capabilitiesOf(trx);
  const counts = { trigger_caps: 0, triggers: 0, purchases: 0, journeys: 0 };
  for (const part of inChunks(capabilities, scope.profileIds)) {
    const triggers = await trx.selectFrom('triggers').select('id').where('profile_id', 'in', part).execute();
    const ids = triggers.map((t) => t.id);
    for (const idPart of inChunks(capabilities, ids)) {
      counts.trigger_caps += Number(
        (await trx.deleteFrom('trigger_caps').where('trigger_id', 'in', idPart).executeTakeFirst())
          .numDeletedRows,
      );
    }
    counts.triggers += Number(
      (await trx.deleteFrom('triggers').where('profile_id', 'in', part).executeTakeFirst()).numDeletedRows,
    );
    counts.purchases += Number(
      (await trx.deleteFrom('purchases').where('profile_id', 'in', part).executeTakeFirst()).numDeletedRows,
    );
    counts.journeys += Number(
      (await trx.deleteFrom('journeys').where('profile_id', 'in', part).executeTakeFirst()).numDeletedRows,
    );
  }
  return counts;
};

/** A profile's triggers (newest first) and open journeys, for the profile API and exports. */
export const journeySection: ProfileSection = async (db, profileIds) => {
  const triggers = await db
    .selectFrom('triggers')
    .select('body_json')
    .where('profile_id', 'in', profileIds)
    .orderBy('fired_at', 'desc')
    .limit(100)
    .execute();
  const journeys = await db
    .selectFrom('journeys')
    .select(['id', 'status', 'stage', 'started_at', 'last_activity_at', 'due_at', 'outcome'])
    .where('profile_id', 'in', profileIds)
    .orderBy('started_at', 'desc')
    .limit(100)
    .execute();
  return {
    triggers: triggers.map((t) => JSON.parse(t.body_json) as TriggerBody),
    journeys: journeys.map((j) => ({
      id: j.id,
      status: j.status,
      stage: j.stage,
      startedAt: new Date(j.started_at).toISOString(),
      lastActivityAt: new Date(j.last_activity_at).toISOString(),
      dueAt: j.due_at === null ? null : new Date(j.due_at).toISOString(),
      outcome: j.outcome,
    })),
  };
};
