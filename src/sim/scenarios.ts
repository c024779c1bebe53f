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
  mariadb: { command: 'mariadb catalogdb 10.11', engine: 'mariadb', namespace: 'demo', name: 'catalogdb', target: /^10\.11\.16$/ },
  mongodb: { command: 'mongodb events 7.0', engine: 'mongodb', namespace: 'demo', name: 'events', target: /^7\.0\.28$/ },
  redis: { command: 'redis cache 7.2', engine: 'redis', namespace: 'demo', name: 'cache', target: /^7\.2\.6$/ },
  proxysql: { command: 'proxysql gateway 2.7', engine: 'proxysql', namespace: 'demo', name: 'gateway', target: /^2\.7\.3-debian$/ },
};
