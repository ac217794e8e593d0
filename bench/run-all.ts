// `npm run bench`: every benchmark in turn; each rewrites its own section of BENCHMARKS.md.
import { runDashboardBench } from './dashboard.ts';
import { runDeliveryBench } from './delivery.ts';
import { runEngineBench } from './engine.ts';
import { runIdentityBench } from './identity.ts';
import { runImportBench } from './import.ts';
import { runIngestBench } from './ingest.ts';
import { runMetricsBench } from './metrics.ts';
import { runStorefrontBench } from './storefront.ts';
import { runKlaviyoBench } from './klaviyo.ts';
import { runScanBench } from './scan.ts';
import { runStatementsBench } from './statements.ts';
import { writeSection, type BenchSection } from './support/report.ts';

const benches: { name: string; run: () => Promise<BenchSection> }[] = [
  { name: 'ingest', run: runIngestBench },
  { name: 'identity', run: runIdentityBench },
  { name: 'engine', run: runEngineBench },
  { name: 'delivery', run: runDeliveryBench },
  { name: 'metrics', run: runMetricsBench },
  { name: 'storefront', run: runStorefrontBench },
  { name: 'klaviyo', run: runKlaviyoBench },
  { name: 'scan', run: runScanBench },
  { name: 'import', run: runImportBench },
  { name: 'dashboard', run: runDashboardBench },
  { name: 'statements', run: runStatementsBench },
];

for (const bench of benches) {
  console.log(`== ${bench.name}`);
  const section = await bench.run();
  writeSection(section);
  console.log(section.markdown);
}
