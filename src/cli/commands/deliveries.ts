import {
  DELIVERY_STATUSES,
  destinationOverview,
  dropDeliveries,
  listDeliveries,
  retryDeliveries,
} from '../../delivery/delivery-admin.ts';
import { DELIVERY_KINDS } from '../../destinations/kit/destination.ts';
import { isOneOf } from '../../http/body/query-params.ts';
import { DestinationStates } from '../../delivery/destination-states.ts';
import { enabledDestinations, sendLimits } from '../../destinations/registry.ts';
import { EXIT, parseOptions, UsageError, type Command } from '../command.ts';
import { withRuntime } from '../runtime.ts';

const OPTIONS = {
  status: { type: 'string' },
  destination: { type: 'string' },
  kind: { type: 'string' },
  limit: { type: 'string' },
  'all-dead': { type: 'boolean' },
  json: { type: 'boolean' },
} as const;

export const deliveriesCommand: Command = {
  name: 'deliveries',
  summary: 'List, retry or drop deliveries; show and resume destinations',
  help: `Usage: reclaim deliveries list [--status pending|delivered|skipped|dead|dropped]
                                [--destination NAME] [--kind abandonment|conversion|erasure|subscription]
                                [--limit N] [--json]
       reclaim deliveries retry ID... | --all-dead [--destination NAME]
       reclaim deliveries drop ID...
       reclaim deliveries destinations
       reclaim deliveries resume NAME

  list          deliveries, newest first: destination, what it carries, status, attempts, the last
                error (a table, or JSON with --json); payloads are never shown
  retry         send dead-lettered deliveries again now, with a fresh retry horizon
  drop          give up on pending or dead-lettered deliveries for good
  destinations  each destination: on or paused (and why), deliveries by status
  resume        resume a destination paused by a credential or configuration error

A running server or worker picks retried and resumed deliveries up within a second.
Exits 1 when retry, drop or resume changed nothing.`,
  async run(ctx) {
    const { values, positionals } = parseOptions(ctx.argv, OPTIONS, true);
    const [action, ...args] = positionals;
    switch (action) {
      case 'list': {
        const status = values.status;
        if (status !== undefined && !isOneOf(DELIVERY_STATUSES, status))
          throw new UsageError(`--status must be one of ${DELIVERY_STATUSES.join(', ')}`);
        const kind = values.kind;
        if (kind !== undefined && !isOneOf(DELIVERY_KINDS, kind))
          throw new UsageError(`--kind must be one of ${DELIVERY_KINDS.join(', ')}`);
        const limit = values.limit === undefined ? 100 : Number(values.limit);
        if (!Number.isInteger(limit) || limit < 1) throw new UsageError('--limit must be a positive integer');
        return withRuntime(ctx, async ({ store }) => {
          const rows = await listDeliveries(store.db, {
            status,
            destination: values.destination,
            kind,
            limit,
          });
          if (values.json) ctx.stdout.write(`${JSON.stringify(rows, null, 2)}\n`);
          else {
            ctx.stdout.write(`${['ID', 'STATUS', 'ATTEMPTS', 'UPDATED', 'LAST ERROR'].join('\t')}\n`);
            for (const r of rows) {
              const error = r.lastError as { kind?: string; message?: string } | null;
              ctx.stdout.write(
                `${[r.id, r.status, r.attempts, r.updatedAt, error ? `${error.kind}: ${error.message}` : ''].join('\t')}\n`,
              );
            }
          }
          return EXIT.OK;
        });
      }
      case 'retry': {
        if (values['all-dead'] ? args.length > 0 : args.length === 0)
          throw new UsageError('expected: reclaim deliveries retry ID... | --all-dead [--destination NAME]');
        return withRuntime(ctx, async ({ store, clock }) => {
          const target = values['all-dead']
            ? { allDead: true as const, destination: values.destination }
            : { ids: args };
          const n = await retryDeliveries(store.db, target, clock.now());
          ctx.stdout.write(`${n} deliver${n === 1 ? 'y' : 'ies'} queued again\n`);
          return n > 0 ? EXIT.OK : EXIT.FAILURE;
        });
      }
      case 'drop': {
        if (args.length === 0) throw new UsageError('expected: reclaim deliveries drop ID...');
        return withRuntime(ctx, async ({ store, clock }) => {
          const n = await dropDeliveries(store.db, args, clock.now());
          ctx.stdout.write(`${n} deliver${n === 1 ? 'y' : 'ies'} dropped\n`);
          return n > 0 ? EXIT.OK : EXIT.FAILURE;
        });
      }
      case 'destinations':
        return withRuntime(ctx, async ({ store, config, clock }) => {
          const enabled = enabledDestinations(config);
          const overview = await destinationOverview(
            store.db,
            enabled.map((d) => d.definition.name),
            clock.now(),
            Object.fromEntries(enabled.map((d) => [d.definition.name, sendLimits(d)])),
          );
          ctx.stdout.write(`${JSON.stringify(overview, null, 2)}\n`);
          return EXIT.OK;
        });
      case 'resume': {
        if (args.length !== 1) throw new UsageError('expected: reclaim deliveries resume NAME');
        return withRuntime(ctx, async ({ store, clock }) => {
          const resumed = await DestinationStates.resume(store.db, args[0]!, clock.now());
          ctx.stdout.write(resumed ? `${args[0]} resumed\n` : `${args[0]} was not paused\n`);
          return resumed ? EXIT.OK : EXIT.FAILURE;
        });
      }
      default:
        throw new UsageError('expected: reclaim deliveries list|retry|drop|destinations|resume');
    }
  },
};
