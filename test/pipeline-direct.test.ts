/**
 * Pure decisions of the direct pipeline (src/pipeline/direct-state.ts, direct-images.ts): roll order,
 * pod health on images, the kubelet's reason, pause ownership, image mapping shared with the emulator.
 */
import { describe, expect, it } from 'vitest';
import { findEngine } from '../src/engines/table.js';
import { catalogEntryFromObject } from '../src/engines/versions.js';
import {
  directPreflight,
  health,
  imagesProgress,
  ourPause,
  pauseCondition,
  pausedByUs,
  podOnImages,
  podProblem,
  podReadyOn,
  rollOrder,
  sameRestarts,
  withoutOurPause,
  withPause,
  type PodView,
} from '../src/pipeline/direct-state.js';
import { imagesByContainer, imagesForTemplate, templateImages, withImages } from '../src/pipeline/direct-images.js';
import { seedCatalog } from '../sim/kubedb/catalog.js';
import { podTemplate } from '../sim/kubedb/template.js';
import { databaseObject, SEED_ORDERS } from '../sim/kubedb/seed.js';

const mysql = findEngine('mysql')!;
const proxysql = findEngine('proxysql')!;
const OLD = 'ghcr.io/appscode-images/mysql:8.0.35-oracle';
/** The real catalog's 8.0.36 image (kubedb/installer 0c6e2459 `mysql/mysql-8.0.36-official.yaml`: a Debian build). */
const NEW = 'ghcr.io/appscode-images/mysql:8.0.36-debian';
const digest = (image: string) => `${image.replace(/:[^:/]+$/, '')}@sha256:${'a'.repeat(64)}`;

function pod(i: number, o: Partial<PodView> & { image?: string } = {}): PodView {
  const image = o.image ?? OLD;
  return {
    name: `orders-${i}`,
    uid: `uid-${i}`,
    ordinal: i,
    role: i === 0 ? 'primary' : 'standby',
    phase: 'Running',
    ready: true,
    specImages: { mysql: image },
    statuses: [{ name: 'mysql', image, imageID: digest(image), ready: true, restartCount: 0 }],
    ...o,
  };
}

describe('rollOrder', () => {
  it('moves the highest ordinal first and the primary (ordinal 0) last', () => {
    expect(rollOrder(mysql, 'orders', [pod(0), pod(1), pod(2)], 3)).toEqual({ ok: true, order: ['orders-2', 'orders-1', 'orders-0'], primary: 'orders-0' });
  });
  it('refuses when the primary is not the lowest ordinal (partition cannot move it last)', () => {
    const r = rollOrder(mysql, 'orders', [pod(0, { role: 'standby' }), pod(1), pod(2, { role: 'primary' })], 3);
    expect(r).toMatchObject({ ok: false, reason: 'PrimaryNotLowestOrdinal' });
  });
  it('refuses without exactly one primary, or with a missing pod; engines without roles need none', () => {
    expect(rollOrder(mysql, 'orders', [pod(0, { role: 'standby' }), pod(1), pod(2)], 3)).toMatchObject({ ok: false, reason: 'NoPrimary' });
    expect(rollOrder(mysql, 'orders', [pod(0), pod(2)], 3)).toMatchObject({ ok: false, reason: 'PodsMissing', message: expect.stringContaining('orders-1') });
    expect(rollOrder(proxysql, 'orders', [pod(0, { role: undefined }), pod(1, { role: undefined })], 2)).toEqual({ ok: true, order: ['orders-1', 'orders-0'] });
  });
});

describe('pods on images', () => {
  it('a pod is on the new image only when spec, status image and imageID repository agree', () => {
    expect(podReadyOn(pod(2, { image: NEW }), { mysql: NEW })).toBe(true);
    expect(podReadyOn(pod(2), { mysql: NEW })).toBe(false);
    const stale = pod(2, { specImages: { mysql: NEW } }); // spec updated, container still reports the old image
    expect(podOnImages(stale, { mysql: NEW })).toBe(false);
    const wrongDigest = pod(2, { image: NEW });
    wrongDigest.statuses[0].imageID = 'docker.io/library/other@sha256:' + 'b'.repeat(64);
    expect(podOnImages(wrongDigest, { mysql: NEW })).toBe(false);
  });
  it('accepts the runtime normalising docker.io/library/ and an empty imageID (not pulled yet) only with the right image', () => {
    const p = pod(1, { specImages: { mysql: 'mysql:8.0.36' }, statuses: [{ name: 'mysql', image: 'docker.io/library/mysql:8.0.36', imageID: 'docker.io/library/mysql@sha256:' + 'c'.repeat(64), ready: true, restartCount: 0 }] });
    expect(podReadyOn(p, { mysql: 'mysql:8.0.36' })).toBe(true);
  });
  it('a Ready condition with an unready container is not Ready', () => {
    const p = pod(1, { image: NEW });
    p.statuses[0].ready = false;
    expect(podReadyOn(p, { mysql: NEW })).toBe(false);
  });
});

describe('podProblem: the kubelet\'s own reason', () => {
  it('ImagePullBackOff with its message; ContainerCreating is not a reason', () => {
    const p = pod(2, { image: NEW, ready: false, phase: 'Pending' });
    p.statuses = [{ name: 'mysql', image: NEW, imageID: '', ready: false, restartCount: 0, waiting: { reason: 'ImagePullBackOff', message: `Back-off pulling image "${NEW}"` } }];
    expect(podProblem(p)).toEqual({ reason: 'ImagePullBackOff', message: `container mysql: Back-off pulling image "${NEW}"` });
    p.statuses[0].waiting = { reason: 'ContainerCreating' };
    expect(podProblem(p)).toEqual({ reason: 'ContainerCreating', message: 'container mysql is still ContainerCreating' });
  });
  it('CrashLoopBackOff names the restarts; a missing pod says so', () => {
    const p = pod(1, { image: NEW, ready: false });
    p.statuses = [{ name: 'mysql', image: NEW, imageID: digest(NEW), ready: false, restartCount: 4, waiting: { reason: 'CrashLoopBackOff', message: 'back-off 40s restarting failed container=mysql' } }];
    expect(podProblem(p)).toEqual({ reason: 'CrashLoopBackOff', message: 'container mysql: back-off 40s restarting failed container=mysql (container restarts: 4)' });
    expect(podProblem(undefined).reason).toBe('PodNotFound');
  });
});

describe('pause ownership', () => {
  const now = new Date('2026-11-20T10:00:00.123Z');
  it('the bot asks for a pause as Ops Manager does (Paused=Unknown), with its own reason and a message naming the record, metav1.Time precision', () => {
    const c = pauseCondition('orders-1a2b3', now);
    expect(c).toMatchObject({ type: 'Paused', status: 'Unknown', reason: 'PausedByDBUpdate', lastTransitionTime: '2026-11-20T10:00:00Z' });
    expect(ourPause([c], 'orders-1a2b3')).toBe(c);
    expect(ourPause([c], 'orders-other')).toBeUndefined();
    // Paused only once the provisioner approved it (True).
    expect(pausedByUs([c], 'orders-1a2b3')).toBe(false);
    expect(pausedByUs([{ ...c, status: 'True' }], 'orders-1a2b3')).toBe(true);
    expect(pausedByUs([{ ...c, status: 'True' }], 'orders-other')).toBe(false);
  });
  it('resume removes only the bot\'s own Paused condition, never one set by kubectl dba or Ops Manager', () => {
    const ready = { type: 'Ready', status: 'True' };
    const ours = pauseCondition('orders-1a2b3', now);
    expect(withoutOurPause(withPause([ready], ours), 'orders-1a2b3')).toEqual([ready]);
    const cli = { type: 'Paused', status: 'True', reason: 'PausedByKubeDBCLI', message: 'Paused by KubeDB CLI tool' };
    expect(withoutOurPause([ready, cli], 'orders-1a2b3')).toEqual([ready, cli]);
  });
  it('preflight refuses a database paused by someone else, or not Ready, or with a pod not Ready', () => {
    const pods = [pod(0), pod(1), pod(2)];
    expect(directPreflight(mysql, { status: { phase: 'Ready' } }, 'orders', pods, 3)).toBeUndefined();
    expect(directPreflight(mysql, { status: { phase: 'Ready', conditions: [{ type: 'Paused', status: 'True', reason: 'PausedByKubeDBCLI' }] } }, 'orders', pods, 3)).toMatchObject({ reason: 'AlreadyPaused' });
    // An Ops Manager pause request the provisioner has not approved yet holds the database too.
    expect(directPreflight(mysql, { status: { phase: 'Ready', conditions: [{ type: 'Paused', status: 'Unknown', reason: 'Paused', message: 'MySQLOpsRequest x is in process' }] } }, 'orders', pods, 3)).toMatchObject({ reason: 'AlreadyPaused', message: expect.stringContaining('being paused') });
    expect(directPreflight(mysql, { status: { phase: 'Critical' } }, 'orders', pods, 3)).toMatchObject({ reason: 'DatabaseNotReady', message: 'the database is Critical, not Ready' });
    const sick = pod(1, { ready: false });
    sick.statuses[0] = { ...sick.statuses[0], ready: false, waiting: { reason: 'CrashLoopBackOff', message: 'back-off' } };
    expect(directPreflight(mysql, { status: { phase: 'Ready' } }, 'orders', [pod(0), sick, pod(2)], 3)).toMatchObject({ reason: 'PodsNotReady', message: expect.stringContaining('orders-1: CrashLoopBackOff') });
  });
});

describe('checks', () => {
  it('healthy only with every pod Ready on the target, one primary and phase Ready; restart counts compared', () => {
    const on = [pod(0, { image: NEW }), pod(1, { image: NEW }), pod(2, { image: NEW })];
    const h = health(mysql, { status: { phase: 'Ready' } }, on, 3, { mysql: NEW });
    expect(h).toEqual({ ok: true, restarts: { 'orders-0': 0, 'orders-1': 0, 'orders-2': 0 } });
    expect(health(mysql, { status: { phase: 'NotReady' } }, on, 3, { mysql: NEW })).toMatchObject({ ok: false, reason: 'DatabaseNotReady' });
    expect(health(mysql, { status: { phase: 'Ready' } }, [pod(0, { image: NEW, role: 'standby' }), on[1], on[2]], 3, { mysql: NEW })).toMatchObject({ ok: false, reason: 'NoPrimary' });
    expect(health(mysql, { status: { phase: 'Ready' } }, [pod(0), on[1], on[2]], 3, { mysql: NEW })).toMatchObject({ ok: false, reason: 'WrongImage', pod: 'orders-0' });
    expect(sameRestarts({ a: 1 }, { a: 1 })).toBe(true);
    expect(sameRestarts({ a: 1 }, { a: 2 })).toBe(false);
    expect(sameRestarts(undefined, { a: 1 })).toBe(false);
  });
  it('progress is one line in the issue\'s words', () => {
    expect(imagesProgress('8.0.36', 3, ['orders-2', 'orders-1'])).toBe('Images: 2 of 3 pods on 8.0.36 (orders-2, orders-1)');
    expect(imagesProgress('8.0.36', 3, ['orders-2'], 'orders-1')).toBe('Images: 1 of 3 pods on 8.0.36 (orders-2) — updating orders-1');
  });
});

describe('catalog images → containers (shared with the emulator\'s provisioner)', () => {
  const catalog = seedCatalog();
  const obj = (kind: string, name: string) => catalog.find((o) => o.kind === kind && o.metadata.name === name)!;
  it('maps db, coordinator and init images to the containers the provisioner creates', () => {
    const entry = catalogEntryFromObject(mysql, obj('MySQLVersion', '8.0.36'));
    const template = podTemplate(mysql, databaseObject(SEED_ORDERS), obj('MySQLVersion', '8.0.35')) as never;
    const target = imagesForTemplate(template, imagesByContainer(mysql, entry.images));
    expect(target).toEqual({
      'mysql-init': 'ghcr.io/kubedb/mysql-init:0.2.0',
      mysql: NEW,
      'mysql-coordinator': 'ghcr.io/kubedb/mysql-coordinator:v0.45.0-rc.0',
      'replication-mode-detector': 'ghcr.io/kubedb/replication-mode-detector:v0.54.0-rc.0',
    });
    expect((template as { spec: { initContainers: Array<{ name: string }> } }).spec.initContainers.map((c) => c.name)).toEqual(['mysql-init']);
    // The emulator builds the same template from the target entry.
    const built = podTemplate(mysql, databaseObject(SEED_ORDERS), obj('MySQLVersion', '8.0.36')) as never;
    expect(templateImages(built)).toEqual(target);
  });
  it.each([
    // kubedb/apimachinery apis/kubedb/constants.go: <Kind>CoordinatorContainerName, <Kind>InitContainerName, ReplicationModeDetectorContainerName
    ['postgres', { coordinator: 'pg-coordinator', initContainer: 'postgres-init-container', db: 'postgres' }],
    ['perconaxtradb', { coordinator: 'px-coordinator', initContainer: 'px-init', db: 'perconaxtradb' }],
    ['mariadb', { coordinator: 'md-coordinator', initContainer: 'mariadb-init', db: 'mariadb' }],
    ['redis', { coordinator: 'rd-coordinator', initContainer: 'redis-init', db: 'redis' }],
    ['mongodb', { replicationModeDetector: 'replication-mode-detector', initContainer: 'copy-config', db: 'mongodb' }],
    ['mysql', { replicationModeDetector: 'replication-mode-detector', coordinator: 'mysql-coordinator', initContainer: 'mysql-init', db: 'mysql' }],
  ])('%s: each catalog role goes to KubeDB\'s own container name', (name, roles) => {
    const engine = findEngine(name)!;
    const images = Object.fromEntries(Object.keys(roles).map((role) => [role, `img/${role}:2`]));
    const byContainer = imagesByContainer(engine, { ...images, exporter: 'img/exporter:1', unknownRole: 'img/x:1' });
    expect(byContainer).toEqual({ ...Object.fromEntries(Object.entries(roles).map(([role, c]) => [c, `img/${role}:2`])), exporter: 'img/exporter:1' });
  });
  it('ProxySQL\'s image is spec.proxysql.image, in the proxysql container', () => {
    const entry = catalogEntryFromObject(proxysql, obj('ProxySQLVersion', '2.7.3-debian'));
    expect(imagesByContainer(proxysql, entry.images).proxysql).toBe('ghcr.io/kubedb/proxysql:2.7.3-debian');
  });
  it('withImages changes images only, keeping every container and key order (so the original template hash comes back)', () => {
    const list = [{ name: 'mysql', image: OLD, ports: [1] }, { name: 'side', image: 'x:1' }];
    const out = withImages(list, { mysql: NEW })!;
    expect(out).toEqual([{ name: 'mysql', image: NEW, ports: [1] }, { name: 'side', image: 'x:1' }]);
    expect(JSON.stringify(withImages(out, { mysql: OLD }))).toBe(JSON.stringify(list));
  });
});
