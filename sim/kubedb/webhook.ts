/**
 * KubeDB's validating webhook for OpsRequests (opswebhook.ts), served as a real admission webhook: an HTTPS
 * endpoint speaking AdmissionReview `admission.k8s.io/v1`, registered with a `ValidatingWebhookConfiguration`,
 * so any API server (the emulator, sim/kube/admission.ts, or a real kube-apiserver) calls it on the real
 * admission path.
 *
 * Wire (kube-apiserver Admission (v1), https://kubernetes.io/docs/reference/config-api/apiserver-admission.v1/;
 * "Dynamic Admission Control", https://kubernetes.io/docs/reference/access-authn-authz/extensible-admission-controllers/):
 * the server POSTs `{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{uid, kind,
 * resource, subResource?, name, namespace, operation, userInfo, object, oldObject, dryRun, options}}`; the
 * webhook answers the same envelope with `response: {uid (the request's), allowed, status?: {code, reason,
 * message, details}}`.
 *
 * Registration, as KubeDB's chart does (kubedb/installer 0c6e2459
 * `charts/kubedb-webhook-server/templates/ops-manager/validating-webhook.yaml`: one webhook per
 * `<kind>opsrequests`, named `<kind>opsrequestwebhook.validators.ops.kubedb.com`, `sideEffects: None`,
 * `failurePolicy: Fail`, `admissionReviewVersions: [v1]`), with `clientConfig.url` =
 * `https://127.0.0.1:<port>/…` (no Service: the simulation runs beside the API server) and `caBundle` = the
 * CA made at start, rules on `ops.kubedb.com`/`v1alpha1` CREATE and UPDATE, and — when the simulation owns
 * some namespaces — a `namespaceSelector` on `kubernetes.io/metadata.name` (the label the API server puts on
 * every namespace), so one world's webhook judges only its own namespaces.
 *
 * TLS: a CA and a serving certificate for IP 127.0.0.1 made at start with Debian's `openssl` CLI (ECDSA
 * P-256, 7 days): Node has no API to issue X.509 certificates, `openssl` is on every machine of the project
 * (envtest's notes use it too) and needs no new npm dependency.
 */
import { createServer, type Server } from 'node:https';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { AddressInfo } from 'node:net';
import { randomBytes } from 'node:crypto';
import { OPS_GROUP, OPS_VERSION, type Engine } from '../../src/engines/table.js';
import type { KubeObject, SharedInformers, SimClient } from './client.js';
import { catalogGvr, VWC_GVR } from './common.js';
import { opsWebhookName, reviewOpsRequest, type AdmissionRequest, type AdmissionVerdict, type ClusterLookup } from './opswebhook.js';

const run = promisify(execFile);

/** PEM texts of a CA and a serving certificate (with its key) for IP 127.0.0.1. */
export interface WebhookCerts {
  caCert: string;
  cert: string;
  key: string;
}

/**
 * Make a CA and a serving certificate for `127.0.0.1` with the `openssl` CLI (see the module docs).
 * @throws Error naming the openssl step that failed (and its stderr).
 */
export async function makeWebhookCerts(): Promise<WebhookCerts> {
  const dir = await mkdtemp(join(tmpdir(), 'sim-kubedb-webhook-'));
  const f = (n: string) => join(dir, n);
  const step = async (what: string, args: string[]) => {
    try {
      await run('openssl', args, { timeout: 30_000 });
    } catch (err) {
      throw new Error(`webhook certificates: openssl ${what} failed: ${(err as { stderr?: string }).stderr?.trim() || (err as Error).message}`);
    }
  };
  try {
    const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
    await step('CA', ['req', '-x509', ...ec, '-keyout', f('ca.key'), '-out', f('ca.crt'), '-days', '7', '-subj', '/CN=sim-kubedb-webhook-ca', '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign']);
    await step('serving key', ['req', ...ec, '-keyout', f('tls.key'), '-out', f('tls.csr'), '-subj', '/CN=127.0.0.1']);
    await writeFile(f('ext.cnf'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\nbasicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\n');
    await step('serving certificate', ['x509', '-req', '-in', f('tls.csr'), '-CA', f('ca.crt'), '-CAkey', f('ca.key'), '-CAcreateserial', '-out', f('tls.crt'), '-days', '7', '-extfile', f('ext.cnf')]);
    const [caCert, cert, key] = await Promise.all([readFile(f('ca.crt'), 'utf8'), readFile(f('tls.crt'), 'utf8'), readFile(f('tls.key'), 'utf8')]);
    return { caCert, cert, key };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** The URL path of the webhook of `e` (as KubeDB's webhook server names it: `/apis/validators.ops.kubedb.com/v1alpha1/<kind>opsrequestwebhooks`). */
export function opsWebhookPath(e: Engine): string {
  return `/apis/validators.ops.kubedb.com/v1alpha1/${e.kind.toLowerCase()}opsrequestwebhooks`;
}

/** The `ValidatingWebhookConfiguration` of one simulation (see the module docs). */
export function opsWebhookConfiguration(name: string, url: string, caBundlePem: string, engines: readonly Engine[], namespaces?: readonly string[]): KubeObject {
  return {
    apiVersion: 'admissionregistration.k8s.io/v1',
    kind: 'ValidatingWebhookConfiguration',
    metadata: { name, labels: { 'app.kubernetes.io/name': 'kubedb-webhook-server', 'app.kubernetes.io/managed-by': 'sim.kubedb.dev' } },
    webhooks: engines.map((e) => ({
      name: opsWebhookName(e),
      clientConfig: { url: `${url}${opsWebhookPath(e)}`, caBundle: Buffer.from(caBundlePem).toString('base64') },
      rules: [{ apiGroups: [OPS_GROUP], apiVersions: [OPS_VERSION], operations: ['CREATE', 'UPDATE'], resources: [e.opsRequestPlural], scope: 'Namespaced' }],
      ...(namespaces?.length ? { namespaceSelector: { matchExpressions: [{ key: 'kubernetes.io/metadata.name', operator: 'In', values: [...namespaces] }] } } : {}),
      failurePolicy: 'Fail',
      sideEffects: 'None',
      admissionReviewVersions: ['v1'],
      timeoutSeconds: 10,
    })),
  };
}

/** A running webhook server and its registration. */
export interface OpsWebhook {
  /** `https://127.0.0.1:<port>` */
  url: string;
  /** The `ValidatingWebhookConfiguration`'s name. */
  configName: string;
  /** AdmissionReviews answered so far (allowed and denied). */
  readonly reviews: { allowed: number; denied: number };
  /** Delete the registration and close the server. */
  stop(): Promise<void>;
}

let certsOnce: Promise<WebhookCerts> | undefined;

/**
 * The process's webhook certificates, made once ({@link makeWebhookCerts}: three `openssl` runs, about
 * 0.3 s, which every world of a test file would otherwise pay) and shared by its webhooks: each world
 * registers its own configuration with the same CA bundle. A failure is not kept (the next start tries again).
 */
function processCerts(): Promise<WebhookCerts> {
  certsOnce ??= makeWebhookCerts().catch((err: unknown) => {
    certsOnce = undefined;
    throw err;
  });
  return certsOnce;
}

/**
 * Serve the ops webhook of `engines` on a free loopback port and register it (the configuration named
 * `configName`, replaced when it exists: a restarted simulation takes its webhook over).
 * Lookups: the database and catalog entries are read fresh (GET), catalog lists from the shared informers.
 * @throws Error when the certificates cannot be made; the client's error when the registration fails.
 */
export async function startOpsWebhook(client: SimClient, informers: SharedInformers, engines: readonly Engine[], opts: { namespaces?: readonly string[]; configName?: string } = {}): Promise<OpsWebhook> {
  const certs = await processCerts();
  const byPath = new Map(engines.map((e) => [opsWebhookPath(e), e]));
  const lookup: ClusterLookup = {
    get: (gvr, ns, name) => client.get(gvr, ns, name),
    list: async (gvr) => {
      const inf = informers.get(gvr, { clusterScoped: true });
      await inf.synced;
      return inf.list();
    },
  };
  for (const e of engines) informers.get(catalogGvr(e), { clusterScoped: true });
  const reviews = { allowed: 0, denied: 0 };

  const server: Server = createServer({ key: certs.key, cert: certs.cert }, (req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const answer = (code: number, body: unknown) => {
        res.writeHead(code, { 'Content-Type': 'application/json' });
        res.end(JSON.stringify(body));
      };
      const e = byPath.get(new URL(req.url ?? '/', 'https://127.0.0.1').pathname);
      if (req.method !== 'POST' || !e) return answer(404, { message: 'not found' });
      let review: { apiVersion?: string; request?: Record<string, any> };
      try {
        review = JSON.parse(Buffer.concat(chunks).toString('utf8'));
      } catch {
        return answer(400, { message: 'the body is not an AdmissionReview' });
      }
      const r = review.request;
      if (!r || typeof r.uid !== 'string') return answer(400, { message: 'AdmissionReview without request.uid' });
      const areq: AdmissionRequest = { operation: r.operation, object: r.object ?? undefined, oldObject: r.oldObject ?? undefined, namespace: r.namespace, name: r.name };
      reviewOpsRequest(lookup, e, areq).then(
        (v: AdmissionVerdict) => {
          if (v.allowed) reviews.allowed++;
          else reviews.denied++;
          answer(200, {
            apiVersion: 'admission.k8s.io/v1',
            kind: 'AdmissionReview',
            response: { uid: r.uid, allowed: v.allowed, ...(v.allowed ? {} : { status: { ...v.status, metadata: {} } }) },
          });
        },
        (err: unknown) => answer(500, { message: `webhook error: ${(err as Error)?.message ?? String(err)}` }),
      );
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const url = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const configName = opts.configName ?? `sim-kubedb-ops-${randomBytes(4).toString('hex')}`;
  const vwc = opsWebhookConfiguration(configName, url, certs.caCert, engines, opts.namespaces);
  try {
    const existing = await client.get(VWC_GVR, undefined, configName);
    if (existing) await client.update(VWC_GVR, { ...vwc, metadata: { ...vwc.metadata, resourceVersion: existing.metadata.resourceVersion } });
    else await client.create(VWC_GVR, vwc);
  } catch (err) {
    server.close();
    throw err;
  }
  return {
    url,
    configName,
    reviews,
    async stop() {
      await client.delete(VWC_GVR, undefined, configName).catch(() => undefined);
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
