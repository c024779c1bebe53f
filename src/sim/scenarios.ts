/**
 * The demo's and tests' update scenarios on the seeded cluster (`src/sim/kubedb/seed.ts`): one per
 * seeded engine, each a command that a user would type and what it should resolve to.
 */

/** One scenario: the text after `/dbupdate`, the database, and the catalog name it should end on. */
export interface Scenario {
  command: string;
  engine: string;
  namespace: string;
  name: string;
  /** Expected resolved target (catalog object name). */
  target: RegExp;
}

/** Scenarios by engine name. */
export const DEMO_SCENARIOS: Record<string, Scenario> = {
  mysql: { command: 'mysql orders 8.4 --reason "8.0 reaches end of life"', engine: 'mysql', namespace: 'demo', name: 'orders', target: /^8\.4\.3$/ },
  postgres: { command: 'postgres billing/ledger 16', engine: 'postgres', namespace: 'billing', name: 'ledger', target: /^16\.6/ },
  perconaxtradb: { command: 'perconaxtradb inventory 8.0', engine: 'perconaxtradb', namespace: 'demo', name: 'inventory', target: /^8\.0\.40/ },
  proxysql: { command: 'proxysql gateway 2.7', engine: 'proxysql', namespace: 'demo', name: 'gateway', target: /^2\.7\.3-debian$/ },
};
