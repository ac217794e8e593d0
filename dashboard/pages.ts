import type { FunctionComponent } from 'preact';
import { ConsentPage } from './pages/consent.tsx';
import { DeliveriesPage } from './pages/deliveries.tsx';
import { LivePage } from './pages/live.tsx';
import { OverviewPage } from './pages/overview.tsx';
import { ScansPage } from './pages/scans.tsx';
import { SetupPage } from './pages/setup.tsx';
import { ShoppersPage } from './pages/shoppers.tsx';

/** One page of the dashboard: its address (`#/<id>`), its name in the menu, and what renders it. */
export interface PageDefinition {
  id: string;
  title: string;
  component: FunctionComponent;
}

/** Every page, in menu order. A new page is one entry here. */
export const PAGES: readonly PageDefinition[] = [
  { id: 'overview', title: 'Overview', component: OverviewPage },
  { id: 'live', title: 'Live events', component: LivePage },
  { id: 'deliveries', title: 'Triggers & deliveries', component: DeliveriesPage },
  { id: 'shoppers', title: 'Shoppers', component: ShoppersPage },
  { id: 'consent', title: 'Consent', component: ConsentPage },
  { id: 'scans', title: 'Scans', component: ScansPage },
  { id: 'setup', title: 'Setup', component: SetupPage },
];
