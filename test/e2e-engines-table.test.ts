/**
 * Every other engine whose OpsRequest has type `UpdateVersion` (kubedb/apimachinery 104ef573
 * `apis/ops/v1alpha1/<engine>_ops_types.go`), end to end on the ops-request backend, table-driven: a
 * database seeded in a version of KubeDB's real catalog (kubedb/installer 0c6e2459, `catalog-facts.ts`),
 * `/dbupdate <engine> <name> <target>` through the real Bolt app, approved, run by the simulated Ops Manager,
 * read back through the real client-node.
 *
 * Expected per row, from kubedb/apimachinery:
 * - the database's apiVersion: the `+kubebuilder:storageversion` of `apis/kubedb/v1/<engine>_types.go`
 *   (Elasticsearch, Kafka, PgBouncer, RedisSentinel, Memcached: `kubedb.com/v1`); MSSQLServer and Singlestore
 *   exist only in `apis/kubedb/v1alpha2` (`kubedb.com/v1alpha2`);
 * - plurals from the `+kubebuilder:resource:path=` markers (`elasticsearches`, `memcacheds`, `redissentinels`,
 *   `mssqlservers`, `singlestores`, …; OpsRequests `<engine>opsrequests`);
 * - the OpsRequest names its database with `spec.databaseRef` (`DatabaseRef core.LocalObjectReference
 *   json:"databaseRef"` in every one of these `*_ops_types.go`).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startWorld, USERS, CHANNEL, type World } from '../sim/world.js';
import { approve, request, settle } from '../sim/script.js';
import { getDatabase, listOpsRequests } from '../src/kube/kubedb.js';
import { ENGINES, findEngine } from '../src/engines/table.js';
import { DEMO_SCENARIOS } from '../sim/scenarios.js';
import { PETSET_GVR } from '../sim/kubedb/index.js';
import { CATALOG_FACTS } from '../sim/kubedb/catalog-facts.js';
import { SEED_DATABASES } from '../sim/kubedb/seed.js';
import { kubedbCrds } from '../sim/kubedb/crds.js';
import { realCatalog } from '../sim/kubedb/catalog.js';
import { imagesFromCatalog } from '../sim/kubedb/template.js';

let w: World;

beforeAll(async () => {
  w = await startWorld({ sim: { podReadyDelayMs: 15, stepDelayMs: 15 } });
});
afterAll(async () => {
  await w?.stop();
});

/** One row: scenario key, KubeDB kind, database API version and plural, OpsRequest plural, catalog kind, distribution of the target. */
const ROWS: Array<{ key: string; kind: string; apiVersion: string; plural: string; opsPlural: string; catalogKind: string; distribution?: string }> = [
  { key: 'elasticsearch', kind: 'Elasticsearch', apiVersion: 'kubedb.com/v1', plural: 'elasticsearches', opsPlural: 'elasticsearchopsrequests', catalogKind: 'ElasticsearchVersion', distribution: 'ElasticStack' },
  { key: 'opensearch', kind: 'Elasticsearch', apiVersion: 'kubedb.com/v1', plural: 'elasticsearches', opsPlural: 'elasticsearchopsrequests', catalogKind: 'ElasticsearchVersion', distribution: 'OpenSearch' },
  { key: 'kafka', kind: 'Kafka', apiVersion: 'kubedb.com/v1', plural: 'kafkas', opsPlural: 'kafkaopsrequests', catalogKind: 'KafkaVersion' },
  { key: 'pgbouncer', kind: 'PgBouncer', apiVersion: 'kubedb.com/v1', plural: 'pgbouncers', opsPlural: 'pgbounceropsrequests', catalogKind: 'PgBouncerVersion' },
  { key: 'redissentinel', kind: 'RedisSentinel', apiVersion: 'kubedb.com/v1', plural: 'redissentinels', opsPlural: 'redissentinelopsrequests', catalogKind: 'RedisVersion', distribution: 'Official' },
  { key: 'memcached', kind: 'Memcached', apiVersion: 'kubedb.com/v1', plural: 'memcacheds', opsPlural: 'memcachedopsrequests', catalogKind: 'MemcachedVersion' },
  { key: 'mssqlserver', kind: 'MSSQLServer', apiVersion: 'kubedb.com/v1alpha2', plural: 'mssqlservers', opsPlural: 'mssqlserveropsrequests', catalogKind: 'MSSQLServerVersion' },
  { key: 'singlestore', kind: 'Singlestore', apiVersion: 'kubedb.com/v1alpha2', plural: 'singlestores', opsPlural: 'singlestoreopsrequests', catalogKind: 'SinglestoreVersion' },
];

/** The thread's replies as plain text, in order. */
function thread(ts: string): string[] {
  return w.slack.replies(CHANNEL, ts).map((m) => m.text);
}

describe('every UpdateVersion engine, table-driven, on the ops-request backend', () => {
  for (const row of ROWS) {
    const sc = DEMO_SCENARIOS[row.key];
    it(`/dbupdate ${sc.command}: ${row.kind} ${sc.namespace}/${sc.name} ends on ${sc.target.source}`, async () => {
      const engine = findEngine(sc.engine)!;
      expect(engine.kind).toBe(row.kind);
      expect(`${engine.group}/${engine.version}`).toBe(row.apiVersion);
      expect(engine.plural).toBe(row.plural);
      expect(engine.opsRequestPlural).toBe(row.opsPlural);
      expect(engine.catalogKind).toBe(row.catalogKind);

      // The seeded database runs a version of KubeDB's real catalog, served at the row's API version and plural.
      const seed = SEED_DATABASES.find((s) => s.namespace === sc.namespace && s.name === sc.name)!;
      expect(CATALOG_FACTS[row.catalogKind].some((f) => f.name === seed.version && !f.deprecated)).toBe(true);
      const before = await fetch(`${w.cluster.server.url}/apis/${row.apiVersion}/namespaces/${sc.namespace}/${row.plural}/${sc.name}`);
      expect(before.status).toBe(200);
      expect(((await before.json()) as { spec: { version: string } }).spec.version).toBe(seed.version);

      const { record, parent } = await request(w.slack, w.bot.records, USERS.requester, CHANNEL, sc.command);
      expect(record.spec.targetVersion).toMatch(sc.target);
      expect(record.spec.backend).toBe('ops-request');
      const target = CATALOG_FACTS[row.catalogKind].find((f) => f.name === record.spec.targetVersion);
      expect(target, `${record.spec.targetVersion} is in the real ${row.catalogKind}`).toBeDefined();
      if (row.distribution) expect(target!.distribution).toBe(row.distribution);
      await approve(w.slack, CHANNEL, parent, USERS.approver);
      const done = await settle(w.bot.records, record.metadata.name);
      expect(done.status?.phase, JSON.stringify(done.status)).toBe('Succeeded');

      // The OpsRequest as KubeDB's Go types have it.
      const ops = (await listOpsRequests(w.cluster.kube, engine, sc.namespace)).filter((o) => o.metadata.labels?.['dbupdate.dev/record'] === record.metadata.name);
      expect(ops).toHaveLength(1);
      expect(ops[0].apiVersion).toBe('ops.kubedb.com/v1alpha1');
      expect(ops[0].kind).toBe(`${row.kind}OpsRequest`);
      expect(ops[0].spec.type).toBe('UpdateVersion');
      expect(ops[0].spec.updateVersion?.targetVersion).toBe(record.spec.targetVersion);
      expect((ops[0].spec as Record<string, unknown>).databaseRef).toEqual({ name: sc.name });
      expect(ops[0].status?.phase).toBe('Successful');

      // The database ends on the target, and its workload runs the target's database image from the real catalog.
      const db = await getDatabase(w.cluster.kube, engine, sc.namespace, sc.name);
      expect(db?.apiVersion).toBe(row.apiVersion);
      expect(db?.spec.version).toBe(record.spec.targetVersion);
      const set = w.cluster.store.get(PETSET_GVR, sc.namespace, sc.name);
      const containers = (set.spec as any).template.spec.containers as Array<{ name: string; image: string }>;
      const dbImage = target!.images[row.kind === 'PgBouncer' ? 'pgBouncer' : 'db'];
      expect(containers.find((c) => c.name === engine.container)?.image).toBe(dbImage);

      // The thread's steps, each once and in order, then Done.
      const lines = thread(parent.ts);
      const steps = [/Paused/, /Images updated/, /Resumed/, /Done/];
      const idx = steps.map((re) => lines.findIndex((l) => re.test(l)));
      expect(idx.every((i) => i >= 0), `every step in\n${lines.join('\n')}`).toBe(true);
      expect([...idx].sort((a, b) => a - b)).toEqual(idx);
      for (const re of steps) expect(lines.filter((l) => re.test(l))).toHaveLength(1);
    });
  }
});

describe('the simulated KubeDB CRDs and pod templates of these engines', () => {
  it('installs each CRD once (Redis and RedisSentinel share redisversions), with the real DB_IMAGE column per catalog kind', () => {
    const names = kubedbCrds().map((c) => c.metadata.name);
    expect(names.length).toBe(new Set(names).size);
    expect(names.filter((n) => n === 'redisversions.catalog.kubedb.com')).toHaveLength(1);
    expect(names).toEqual(expect.arrayContaining(['elasticsearches.kubedb.com', 'memcacheds.kubedb.com', 'redissentinels.kubedb.com', 'mssqlservers.kubedb.com', 'singlestores.kubedb.com', 'pgbouncers.kubedb.com']));
    // kubedb/apimachinery crds/catalog.kubedb.com_<kind>versions.yaml additionalPrinterColumns
    const column = (name: string) => ((kubedbCrds().find((c) => c.metadata.name === name)!.spec as any).versions[0].additionalPrinterColumns as Array<{ name: string; jsonPath: string }>).find((c) => c.name === 'DB_IMAGE')?.jsonPath;
    expect(column('pgbouncerversions.catalog.kubedb.com')).toBe('.spec.pgBouncer.image');
    expect(column('proxysqlversions.catalog.kubedb.com')).toBe('.spec.proxysql.image');
    expect(column('mssqlserverversions.catalog.kubedb.com')).toBe('.spec.db.image');
  });

  it('runs every engine\'s database image from the real catalog\'s field (spec.db.image; PgBouncer spec.pgBouncer.image)', () => {
    for (const e of ENGINES) {
      for (const obj of realCatalog(e.catalogKind)) {
        const images = imagesFromCatalog(e, obj);
        const spec = obj.spec as Record<string, { image?: string }>;
        expect(images[e.container], `${obj.kind} ${obj.metadata.name}`).toBe(spec[e.kind === 'PgBouncer' ? 'pgBouncer' : e.kind === 'ProxySQL' ? 'proxysql' : 'db']!.image);
      }
    }
  });
});
