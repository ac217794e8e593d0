import { createEngine } from '../../app/engine.ts';
import { EventLog } from '../../event-log/event-log.ts';
import { adminCommandEvent, receiptIdFor } from '../../identity/identity-commands.ts';
import { loadReceipt, readReceipt } from '../../identity/erasure.ts';
import { currentProfileId, findProfile } from '../../identity/profile-group.ts';
import { LOOKUPS } from '../../identity/profile-routes.ts';
import { buildProfileView } from '../../identity/profile-view.ts';
import { acquireLease, releaseLease } from '../../store/lease.ts';
import { EXIT, parseOptions, UsageError, type Command } from '../command.ts';
import { withRuntime, type CliRuntime } from '../runtime.ts';

const OPTIONS = {
  id: { type: 'string' },
  email: { type: 'string' },
  phone: { type: 'string' },
  'customer-id': { type: 'string' },
  'anonymous-id': { type: 'string' },
  'client-id': { type: 'string' },
  'browser-id': { type: 'string' },
} as const;

export const profileCommand: Command = {
  name: 'profile',
  summary: 'Show, export or erase one shopper',
  help: `Usage: reclaim profile show|export|erase (--id PROFILE | --email E | --phone P | --customer-id C
                                      | --anonymous-id A | --client-id C | --browser-id B)

  show    the profile as the admin API shows it: identifiers, links with times, refusals,
          consents, the latest events (JSON)
  export  everything Reclaim holds on the shopper, every event in full (JSON) — a data-subject export
  erase   erase the shopper everywhere and print the erasure receipt (no personal data in it)

Exits 1 when no profile matches.`,
  async run(ctx) {
    const { values, positionals } = parseOptions(ctx.argv, OPTIONS, true);
    const action = positionals[0];
    if (!action || !['show', 'export', 'erase'].includes(action) || positionals.length !== 1) {
      throw new UsageError('expected: reclaim profile show|export|erase with one identifier option');
    }
    const given = Object.entries(values).filter(([, v]) => v !== undefined);
    if (given.length !== 1)
      throw new UsageError(
        'give exactly one of --id, --email, --phone, --customer-id, --anonymous-id, --client-id, --browser-id',
      );
    const [option, raw] = given[0] as [string, string];
    return withRuntime(ctx, async (runtime) => {
      const profileId = await resolve(runtime, option, raw);
      if (!profileId) {
        ctx.stderr.write(`reclaim profile: no profile matches --${option}\n`);
        return EXIT.FAILURE;
      }
      const engine = createEngine(runtime);
      if (action === 'erase') {
        ctx.stdout.write(`${JSON.stringify(await erase(runtime, engine, profileId), null, 2)}\n`);
        return EXIT.OK;
      }
      const view = await buildProfileView(runtime.store.db, profileId, {
        sections: engine.profileSections,
        ...(action === 'export' ? { fullEvents: true } : { timelineLimit: 200 }),
      });
      ctx.stdout.write(`${JSON.stringify(view, null, 2)}\n`);
      return EXIT.OK;
    });
  },
};

async function resolve(runtime: CliRuntime, option: string, raw: string): Promise<string | undefined> {
  if (option === 'id') return currentProfileId(runtime.store.db, raw);
  const found = await findProfile(
    runtime.store.db,
    LOOKUPS.get(option.replace('-', '_'))!,
    raw,
    runtime.config.store.country,
  );
  return found.status === 'found' ? found.profileId : undefined;
}

/** Queues the erasure in the event log and processes it here, unless a running server holds the engine. */
async function erase(runtime: CliRuntime, engine: ReturnType<typeof createEngine>, profileId: string) {
  const event = adminCommandEvent('erase_customer', profileId, runtime.clock.now(), 'cli');
  await new EventLog(runtime.store).append([event]);
  const holder = `cli-${process.pid}`;
  const receiptId = receiptIdFor(event);
  for (let waited = 0; waited < 60_000; waited += 200) {
    if (await acquireLease(runtime.store, 'engine', holder, 30_000, runtime.clock.now())) {
      await engine.processor.drain();
      await releaseLease(runtime.store, 'engine', holder);
    }
    const receipt = await loadReceipt(runtime.store.db, receiptId);
    if (receipt) return readReceipt(receipt);
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(
    'the erasure is queued but was not processed within a minute; is the server stopped mid-shutdown?',
  );
}
