/**
 * The demo's and tests' update scenarios on the seeded cluster (`sim/kubedb/seed.ts`): one per
 * seeded database of an UpdateVersion engine, each a command that a user would type and what it should
 * resolve to over KubeDB's real catalog (`sim/kubedb/catalog-facts.ts`, kubedb/installer 0c6e2459).
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
  mysql: { command: 'mysql orders 8.4 --reason "8.0 reaches end of life"', engine: 'mysql', namespace: 'demo', name: 'orders', target: /^8\.4\.8$/ },
  postgres: { command: 'postgres billing/ledger 16', engine: 'postgres', namespace: 'billing', name: 'ledger', target: /^16\.13$/ },
  perconaxtradb: { command: 'perconaxtradb inventory 8.4', engine: 'perconaxtradb', namespace: 'demo', name: 'inventory', target: /^8\.4\.3$/ },
  mariadb: { command: 'mariadb catalogdb 10.11', engine: 'mariadb', namespace: 'demo', name: 'catalogdb', target: /^10\.11\.16$/ },
  mongodb: { command: 'mongodb events 7.0', engine: 'mongodb', namespace: 'demo', name: 'events', target: /^7\.0\.28$/ },
  redis: { command: 'redis cache 7.2', engine: 'redis', namespace: 'demo', name: 'cache', target: /^7\.2\.6$/ },
  proxysql: { command: 'proxysql gateway 2.7', engine: 'proxysql', namespace: 'demo', name: 'gateway', target: /^2\.7\.3-debian$/ },
  elasticsearch: { command: 'elasticsearch logs 8.18', engine: 'elasticsearch', namespace: 'demo', name: 'logs', target: /^xpack-8\.18\.8$/ },
  opensearch: { command: 'opensearch search 3.4', engine: 'elasticsearch', namespace: 'demo', name: 'search', target: /^opensearch-3\.4\.0$/ },
  kafka: { command: 'kafka stream 3.9', engine: 'kafka', namespace: 'demo', name: 'stream', target: /^3\.9\.0$/ },
  pgbouncer: { command: 'pgbouncer billing/pool 1.24', engine: 'pgbouncer', namespace: 'billing', name: 'pool', target: /^1\.24\.0$/ },
  redissentinel: { command: 'redissentinel sentinel 7.2', engine: 'redissentinel', namespace: 'demo', name: 'sentinel', target: /^7\.2\.6$/ },
  memcached: { command: 'memcached sessions 1.6', engine: 'memcached', namespace: 'demo', name: 'sessions', target: /^1\.6\.40$/ },
  mssqlserver: { command: 'mssql reports 2022-cu22', engine: 'mssqlserver', namespace: 'demo', name: 'reports', target: /^2022-cu22$/ },
  singlestore: { command: 'singlestore analytics 8.9', engine: 'singlestore', namespace: 'demo', name: 'analytics', target: /^8\.9\.3$/ },
};
