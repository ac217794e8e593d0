import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startReclaimProcess, type ReclaimProcess } from '../support/process.ts';
import { metric, parsePrometheus } from '../support/prometheus.ts';

const TOKEN = 'metrics-scrape-token-0123456789';

describe('metrics and logs of real processes', () => {
  let dir: string;
  let running: ReclaimProcess | undefined;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'reclaim-metrics-'));
  });
  afterEach(async () => {
    if (running && running.child.exitCode === null) {
      running.child.kill('SIGTERM');
      await running.exited;
    }
    running = undefined;
    rmSync(dir, { recursive: true, force: true });
  });

  it(
    'reclaim worker serves /metrics on RECLAIM_WORKER_METRICS_PORT and stops cleanly',
    { timeout: 120_000 },
    async () => {
      running = await startReclaimProcess(
        ['worker'],
        {
          RECLAIM_DATABASE_URL: `sqlite:${join(dir, 'r.sqlite')}`,
          RECLAIM_METRICS_TOKEN: TOKEN,
          RECLAIM_WORKER_METRICS_PORT: '0',
          RECLAIM_INGEST_WORKERS: '0',
        },
        dir,
        /"url":"(http:\/\/[^"]+)\/metrics".*worker metrics are served/,
      );
      const res = await fetch(`${running.url}/metrics`, { headers: { authorization: `Bearer ${TOKEN}` } });
      expect(res.status).toBe(200);
      const samples = parsePrometheus(await res.text());
      expect(metric(samples, 'reclaim_journeys_open')).toBe(0);
      expect(metric(samples, 'reclaim_processor_lag_events')).toBe(0);
      expect(metric(samples, 'reclaim_process_resident_memory_bytes')).toBeGreaterThan(0);
      expect((await fetch(`${running.url}/metrics`)).status).toBe(401);
      running.child.kill('SIGTERM');
      expect(await running.exited).toBe(0);
    },
  );

  it(
    'reclaim serve with RECLAIM_LOG_FORMAT=pretty writes readable lines, and a refusal with its code',
    { timeout: 120_000 },
    async () => {
      running = await startReclaimProcess(
        ['serve'],
        {
          RECLAIM_DATABASE_URL: `sqlite:${join(dir, 'r.sqlite')}`,
          RECLAIM_LOG_FORMAT: 'pretty',
          RECLAIM_INGEST_WORKERS: '0',
        },
        dir,
        /INFO: reclaim is serving\n\s+url: "(http:\/\/[^"]+)"/,
      );
      const res = await fetch(`${running.url}/v1/pixel?email=jane.doe%40example.com`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: '{"events": [{"email": "jane.doe@example.com"',
      });
      expect(res.status).toBe(400);
      running.child.kill('SIGTERM');
      expect(await running.exited).toBe(0);
      const out = running.stdout();
      expect(out).toMatch(/INFO: request refused\n(\s+\w+: .*\n)*\s+code: "RECLAIM_ERR_MALFORMED_JSON"/);
      expect(out).toMatch(/route: "\/v1\/pixel"/);
      expect(out).not.toContain('jane.doe');
      expect(out).not.toMatch(/^\{/m);
    },
  );
});
