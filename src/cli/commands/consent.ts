import { withIsoTimes } from '../../http/body/iso-times.ts';
import { verifyLedger } from '../../consent/consent-ledger.ts';
import { loadTrigger } from '../../journeys/trigger-repository.ts';
import { explainDecisions } from '../../journeys/trigger-routes.ts';
import { EXIT, parseOptions, UsageError, type Command } from '../command.ts';
import { withRuntime } from '../runtime.ts';

export const consentCommand: Command = {
  name: 'consent',
  summary: 'Verify the consent ledger; explain why a trigger was (not) sent',
  help: `Usage: reclaim consent verify [--json]
       reclaim consent why TRIGGER_ID

why: prints the trigger's decision per channel (allowed, basis, or the reason it was not sent) with
the ledger records it rests on — the answer to a regulator's "why was this sent?". Exits 1 when there
is no such trigger.

verify:
Recomputes the consent ledger's hash chain from the first record to the last and checks it against
the stored chain head. Exits 0 and prints the record count and head hash when every record is intact;
exits 1 and names the first record that was edited, deleted or moved otherwise. Keep the printed head
hash outside Reclaim (a ticket, an email) to prove later that nothing before it changed.`,
  async run(ctx) {
    const { values, positionals } = parseOptions(ctx.argv, { json: { type: 'boolean' } }, true);
    if (positionals[0] === 'why' && positionals.length === 2) {
      return withRuntime(ctx, async ({ store }) => {
        const trigger = await loadTrigger(store.db, positionals[1]!);
        if (!trigger) {
          ctx.stderr.write(`reclaim consent: no trigger ${positionals[1]}\n`);
          return EXIT.FAILURE;
        }
        ctx.stdout.write(
          `${JSON.stringify(withIsoTimes(await explainDecisions(store.db, trigger)), null, 2)}\n`,
        );
        return EXIT.OK;
      });
    }
    if (positionals.length !== 1 || positionals[0] !== 'verify') {
      throw new UsageError('expected: reclaim consent verify | reclaim consent why TRIGGER_ID');
    }
    return withRuntime(ctx, async ({ store }) => {
      const result = await verifyLedger(store.db);
      if (values.json) ctx.stdout.write(`${JSON.stringify(result)}\n`);
      else if (result.ok)
        ctx.stdout.write(`consent ledger intact: ${result.records} record(s), head ${result.head}\n`);
      else
        ctx.stdout.write(
          `consent ledger TAMPERED: ${result.problem} at record ${result.position} — ${result.detail}\n`,
        );
      return result.ok ? EXIT.OK : EXIT.FAILURE;
    });
  },
};
