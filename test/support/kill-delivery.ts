import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { CanonicalEvent } from '../../src/event-log/canonical-event.ts';
import { EventLog, eventIdFor } from '../../src/event-log/event-log.ts';
import type { Store } from '../../src/store/store.ts';
import { KlaviyoStandIn } from '../../src/stand-ins/klaviyo-stand-in.ts';
import { RECLAIM_BIN } from './process.ts';
import { until } from './wait.ts';
import type { DeliveryStatus } from '../../src/store/schema.ts';

/** Cart adds an hour old, one per shopper: every journey is due as soon as a worker processes it. */
export function abandonedCarts(shoppers: number, now: number, tag = 'kill-delivery'): CanonicalEvent[] {
  return Array.from({ length: shoppers }, (_, n) => {
    const key = `${tag}:${n}`;
    const time = now - 3_600_000 + n;
    return {
      id: eventIdFor(key, time),
      kind: 'cart_add',
      source: 'segment',
      name: 'Product Added',
      idempotencyKey: key,
      eventTime: time,
      receivedAt: time,
      ids: {
        anonymousId: `anon-${tag}-${n}`,
        cartToken: `cart-${tag}-${n}`,
        email: `${tag}-${n}@shop.example`,
      },
      context: { geo: { country: 'US' } },
      commerce: {
        lines: [{ productId: 'p1', title: 'Tee', price: '10.00', quantity: 1 }],
        value: '10.00',
        currency: 'USD',
      },
    };
  });
}

export async function countRows(
  store: Store,
  table: 'triggers' | 'deliveries',
  where?: { status: DeliveryStatus },
): Promise<number> {
  let query = store.db.selectFrom(table).select((eb) => eb.fn.countAll<number>().as('n'));
  if (where) query = query.where('status', '=', where.status);
  return Number((await query.executeTakeFirstOrThrow()).n);
}

export interface KillMidDeliveryOptions {
  /** The database the workers use (`sqlite:…` or a PostgreSQL URL), and the test's own handle on it. */
  url: string;
  store: Store;
  /** A directory for the config file. */
  dir: string;
  standIn: KlaviyoStandIn;
  shoppers: number;
  kills: number;
  /** Sends Klaviyo answers in each worker's life before its answers stop arriving. */
  answeredPerLife: number;
  /** Sends taken by Klaviyo with their answers lost before the worker is killed. */
  lostAnswersPerLife: number;
}

/**
 * Queues `shoppers` abandoned carts, then runs `reclaim worker` `kills` times: in each life Klaviyo answers
 * some sends, then records the next ones without its answer ever arriving, and the worker is killed
 * (SIGKILL) with those sends in flight. A last worker runs until every delivery is settled and is stopped
 * with SIGTERM. Returns what happened; the caller asserts.
 */
export async function killWorkersMidDelivery(o: KillMidDeliveryOptions) {
  await new EventLog(o.store).append(abandonedCarts(o.shoppers, Date.now()));
  const configFile = join(o.dir, 'reclaim.json');
  // Single events (no bulk), and claims that run out quickly after a kill.
  writeFileSync(
    configFile,
    JSON.stringify({ klaviyo: { bulkBacklog: 1_000_000 }, delivery: { claimTimeout: '2s' } }),
  );
  const env = {
    PATH: process.env.PATH ?? '',
    RECLAIM_DATABASE_URL: o.url,
    RECLAIM_CONFIG: configFile,
    RECLAIM_CART_AFTER: '1s',
    RECLAIM_LOG_LEVEL: 'silent',
    KLAVIYO_API_KEY: KlaviyoStandIn.DEFAULT_KEY,
    KLAVIYO_BASE_URL: o.standIn.url,
  };
  let lostAnswers = 0;
  /** Rows a worker held at the moment it was killed, per kill. */
  const claimedAtKill: number[] = [];
  for (let kill = 0; kill < o.kills; kill++) {
    const answerUntil = o.standIn.events.length + o.answeredPerLife;
    const lostBefore = lostAnswers;
    o.standIn.faults.down = () => {
      if (o.standIn.events.length < answerUntil) return undefined;
      lostAnswers++;
      return { hang: true, processed: true };
    };
    const worker = spawn(process.execPath, [RECLAIM_BIN, 'worker'], { env, stdio: 'ignore' });
    const exited = once(worker, 'exit');
    await until(() => lostAnswers >= lostBefore + o.lostAnswersPerLife, 'sends in flight', 120_000);
    worker.kill('SIGKILL');
    await exited;
    claimedAtKill.push(
      (await o.store.db.selectFrom('deliveries').select('id').where('claimed_by', 'is not', null).execute())
        .length,
    );
  }

  o.standIn.faults.down = () => undefined;
  const last = spawn(process.execPath, [RECLAIM_BIN, 'worker'], { env, stdio: 'ignore' });
  const lastExited = once(last, 'exit');
  await until(
    async () =>
      (await countRows(o.store, 'triggers')) === o.shoppers &&
      (await countRows(o.store, 'deliveries', { status: 'delivered' })) === o.shoppers,
    'every trigger delivered',
    300_000,
  );
  last.kill('SIGTERM');
  const [lastExit] = (await lastExited) as [number | null];
  return { lostAnswers, claimedAtKill, lastExit };
}
