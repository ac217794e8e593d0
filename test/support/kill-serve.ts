import type { Store } from '../../src/store/store.ts';
import { MixedLoad, mixedLoadEnv } from './mixed-load.ts';
import { startReclaimProcess } from './process.ts';
import { until } from './wait.ts';

export interface KillServeOptions {
  /** Names the load's ids, so runs on one database never collide. */
  tag: string;
  /** The database `serve` uses, and how the test opens it afterwards. */
  url: string;
  open(): Promise<Store>;
  /** The processes' working directory. */
  dir: string;
  kills: number;
  /** Requests acknowledged between one start and its kill. */
  acknowledgedPerLife: number;
  /** Clients sending at once. */
  clients: number;
}

/**
 * Runs `reclaim serve` under Segment, pixel, webhook and consent load and kills it (SIGKILL) `kills`
 * times, each time once it has acknowledged another `acknowledgedPerLife` requests; then starts it once
 * more, stops it gracefully, and reads the database. Returns the load (what was acknowledged), the
 * acknowledged events the database lacks, and how many events it holds; the caller asserts.
 */
export async function killServeUnderLoad(o: KillServeOptions) {
  const load = new MixedLoad(o.tag);
  const env = { ...mixedLoadEnv, RECLAIM_DATABASE_URL: o.url };
  /** Kills that came before the load had what it waited for (the server stopped answering by itself). */
  let early = 0;
  for (let kill = 0; kill < o.kills; kill++) {
    const server = await startReclaimProcess(['serve'], env, o.dir);
    const target = load.requestsAcknowledged + o.acknowledgedPerLife;
    let stopped = false;
    const sending = load.run(server.url, o.clients).finally(() => (stopped = true));
    await until(() => load.requestsAcknowledged >= target || stopped, 'requests acknowledged');
    if (stopped) early++;
    server.child.kill('SIGKILL');
    await server.exited;
    await sending;
  }

  const server = await startReclaimProcess(['serve'], env, o.dir);
  const healthz = (await fetch(`${server.url}/healthz`)).status;
  server.child.kill('SIGTERM');
  const exit = await server.exited;
  const store = await o.open();
  try {
    const missing = await load.missingFrom(store);
    const stored = Number(
      (
        await store.db
          .selectFrom('events')
          .select((eb) => eb.fn.countAll<number>().as('n'))
          .executeTakeFirstOrThrow()
      ).n,
    );
    return { load, missing, stored, early, healthz, exit };
  } finally {
    await store.close();
  }
}
