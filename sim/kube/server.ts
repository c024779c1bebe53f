/**
 * The HTTP face of the Kubernetes API emulator: a thin wire layer over a {@link Store}, spoken to by the
 * real `@kubernetes/client-node` and the real `kubectl`.
 *
 * Wire formats (api-concepts, https://kubernetes.io/docs/reference/using-api/api-concepts/):
 * - errors are `Status` objects with the HTTP code; lists are `{kind: <Kind>List, apiVersion,
 *   metadata: {resourceVersion}, items}` (items of built-in kinds carry no kind/apiVersion, as the real
 *   server's typed lists; custom resources' items do);
 * - watch (`?watch=true|1`): a chunked `application/json` stream of `{"type","object"}` lines; a
 *   resourceVersion older than the history gives HTTP 200 then an `ERROR` event with a 410 `Expired` Status;
 * - lists honour `limit`/`continue` (pagination.ts); `Accept: …;as=Table;g=meta.k8s.io` gets a server-side `Table` (what `kubectl get` prints), also in
 *   watches (`kubectl get -w`);
 * - `kubeconfigYaml()` marks the plain-http cluster `insecure-skip-tls-verify` (client-node 1.4 needs it);
 * - request bodies in JSON and YAML are decoded, protobuf for the kinds kubectl's typed clients send
 *   (protobuf.ts), CBOR is refused with 415; an `Accept` naming no JSON-compatible type answers 406.
 * - aggregated discovery (apidiscovery.k8s.io/v2) for `/api` and `/apis` when asked, else the plain
 *   documents (discovery.ts). `/openapi/v3` (per group/version, with component schemas) and `/openapi/v2`
 *   are served from the kinds' schemas (openapi.ts), so `kubectl explain` works;
 * - DELETE honours DeleteOptions (preconditions, gracePeriodSeconds; finalizers and pods' graceful
 *   deletion, see deletion.ts) and answers the deleted object for pods, services, service accounts, namespaces and custom
 *   resources (`ReturnDeletedObject` in their registries) and a `Status` Success otherwise.
 * - `?dryRun=All` on create/update/patch/delete runs validation and admission, persists nothing, emits no
 *   watch event (https://kubernetes.io/docs/reference/using-api/api-concepts/#dry-run); another value is 422;
 * - validating admission webhooks (`addValidatingAdmission`, admission.ts) run before a write is stored;
 *   a denial is answered as the API server does (`admission webhook "<name>" denied the request: …`).
 * - authentication by bearer token (the admin token, in group `system:masters`, and `users`); with
 *   `rbac: true` every request is authorized by the RBAC objects in the store (rbac.ts) before it is
 *   served, and a denial answers 403 Forbidden with the real Status, recorded in `denials`;
 * - `Impersonate-User`/`-Group` headers (authorized by the `impersonate` verb),
 *   `SelfSubjectAccessReview` (`kubectl auth can-i`), `SelfSubjectRulesReview` (`kubectl auth can-i
 *   --list`) and `SelfSubjectReview` (`kubectl auth whoami`), see access.ts.
 * - a pod's `portforward` subresource over WebSocket (portforward.ts); without the upgrade it answers 400
 *   `Upgrade request required`.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { writeFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { YAML_OPTIONS } from './yaml.js';
import type { GVR, KubeObject, PatchType, ResourceType, WriteOptions } from './api.js';
import { addValidatingAdmission, matchingWebhooks, runRegisteredWebhooks, runValidatingAdmission, type AdmissionRequest, type ValidatingWebhook } from './admission.js';
import { Store } from './store.js';
import { AGGREGATED_DISCOVERY, aggregatedDiscovery, apiGroup, apiGroupList, apiResourceList, apiVersions, wantsAggregated } from './discovery.js';
import { parseApiPath } from './paths.js';
import { openApiV2, openApiV3Doc, openApiV3Root } from './openapi.js';
import { encodeOpenApiV2, OPENAPI_V2_PROTO } from './openapi-proto.js';
import { toTable, wantsTable } from './table.js';
import { ANONYMOUS, forbidden, RbacAuthorizer, requestAttributes, SYSTEM_AUTHENTICATED, SYSTEM_MASTERS, type Denial, type UserInfo } from './rbac.js';
import { warningHeaders, writeOptions } from './fieldvalidation.js';
import { impersonate, impersonationOf, isSelfSubjectAccessReview, isSelfSubjectReview, isSelfSubjectRulesReview, selfSubjectAccessReview, selfSubjectReview, selfSubjectRulesReview } from './access.js';
import { listChunk } from './pagination.js';
import { validateListOptions } from './listoptions.js';
import { scaleOf, scalePatch } from './scale.js';
import { duplicateFields } from './duplicates.js';
import { applyJsonPatch, applyMergePatch } from './patch.js';
import { managerOf } from './managedfields.js';
import { deleteOptionsOf } from './deletion.js';
import { acceptsJson, decodeProtobuf, notAcceptable, PROTOBUF } from './protobuf.js';
import { invalid, badRequest, genericStatus, tooLargeResourceVersion, methodNotAllowed, pathNotFound, StatusError, successStatus, unauthorized, unsupportedMediaType } from './status.js';
import { forwardablePod, parsePorts, portForwardPath, rejectUpgrade, upgradeNotServed, upgradePortForward } from './portforward.js';

/** One served request, for counting API calls (benchmarks) and assertions. */
export interface RequestRecord {
  method: string;
  /** Path without query string. */
  path: string;
  /** Full URL path with query string. */
  url: string;
  /** Kubernetes verb: get, list, watch, create, update, patch, delete, deletecollection, discovery, other. */
  verb: string;
  /** HTTP status sent (200 for watches, whatever events follow). */
  status: number;
  /** The authenticated user's name (`system:anonymous` without credentials). */
  user?: string;
}

/** A fault to inject: the next `times` matching requests are answered with `status` instead of being served. */
export interface FaultSpec {
  method?: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  /** Kubernetes verb to match (`get`, `list`, `watch`, `create`, `update`, `patch`, `delete`). */
  verb?: string;
  /** Substring the request URL (path and query) must contain. */
  pathIncludes?: string;
  /** Only requests of this user (e.g. the bot's service account, not the simulated KubeDB's client). */
  user?: string;
  /** HTTP status: 500, 503, 429, 409… The body is the matching Status (reason from the code). */
  status: number;
  /** How many requests to fail (default 1). */
  times?: number;
  /** Adds `Retry-After` and `details.retryAfterSeconds` (as the real server does for 429). */
  retryAfterSeconds?: number;
  /** Status message (default: the real server's generic message for the code). */
  message?: string;
  /** Answer only after this many ms (a slow server; the client may give up first). */
  delayMs?: number;
}

/**
 * A random fault rate (chaos tests): each matching request fails with probability `rate`, before it is
 * served (nothing is written), with the `Status` body the real server sends for that code.
 */
export interface FaultRate {
  /** Probability in [0, 1] that a matching request fails. */
  rate: number;
  /** Uniform numbers in [0, 1); pass a seeded generator to replay a run (default `Math.random`). */
  random?: () => number;
  /**
   * What a failed request gets, picked uniformly: an HTTP status (429 comes with `Retry-After: 1`, as the
   * real server's max-in-flight filter sends it) or `timeout`: 504 `Timeout` after `timeoutMs`, as the
   * real server answers a request that outlived its `--request-timeout`. Default `[500, 503, 429, 'timeout']`.
   */
  kinds?: Array<number | 'timeout'>;
  /** Delay of a `timeout` answer, ms (default 1000). */
  timeoutMs?: number;
  /** Only requests of these users (e.g. `system:serviceaccount:dbupdate:dbupdate`); default every user. */
  users?: string[];
  /** Only these Kubernetes verbs (`get`, `list`, `watch`, `create`, `update`, `patch`, `delete`); default all. */
  verbs?: string[];
}

/** Fault injection of a {@link KubeApiServer}. */
export class Faults {
  private readonly list: Array<FaultSpec & { left: number }> = [];
  private rateSpec: FaultRate | undefined;
  /** Requests failed by the random fault rate, by kind (`'500'`, `'503'`, `'429'`, `'timeout'`…). */
  readonly rateInjected: Record<string, number> = {};

  /** Fail a random share of the requests from now on ({@link FaultRate}); `undefined` turns it off. */
  setRate(spec: FaultRate | undefined): void {
    this.rateSpec = spec ? { ...spec } : undefined;
  }

  /** Add a fault (matched in insertion order; `remaining()` tells how many injections are left). */
  add(spec: FaultSpec): void {
    this.list.push({ ...spec, left: spec.times ?? 1 });
  }

  /** Remove every pending fault and turn the fault rate off. */
  clear(): void {
    this.list.length = 0;
    this.rateSpec = undefined;
  }

  /** Total number of requests still to fail. */
  remaining(): number {
    return this.list.reduce((n, f) => n + f.left, 0);
  }

  /** The fault matching a request (decrementing it), else one drawn by the fault rate, or undefined. @internal */
  take(method: string, url: string, verb: string, user?: string): FaultSpec | undefined {
    const f = this.list.find(
      (x) => x.left > 0 && (!x.method || x.method === method) && (!x.verb || x.verb === verb) && (!x.pathIncludes || url.includes(x.pathIncludes)) && (!x.user || x.user === user),
    );
    if (!f) return this.drawRate(verb, user);
    f.left--;
    if (f.left === 0) this.list.splice(this.list.indexOf(f), 1);
    return f;
  }

  private drawRate(verb: string, user: string | undefined): FaultSpec | undefined {
    const r = this.rateSpec;
    if (!r || r.rate <= 0) return undefined;
    if (r.users && !r.users.includes(user ?? '')) return undefined;
    if (r.verbs && !r.verbs.includes(verb)) return undefined;
    const random = r.random ?? Math.random;
    if (random() >= r.rate) return undefined;
    const kinds = r.kinds ?? [500, 503, 429, 'timeout'];
    const kind = kinds[Math.min(kinds.length - 1, Math.floor(random() * kinds.length))];
    this.rateInjected[String(kind)] = (this.rateInjected[String(kind)] ?? 0) + 1;
    if (kind === 'timeout') return { status: 504, delayMs: r.timeoutMs ?? 1000 };
    return { status: kind, ...(kind === 429 ? { retryAfterSeconds: 1 } : {}) };
  }
}

/** Options of {@link KubeApiServer.start}. */
export interface KubeApiServerOptions {
  store?: Store;
  /** Port (default 0: a free port). */
  port?: number;
  /** Host (default 127.0.0.1). */
  host?: string;
  /** When set, requests must carry `Authorization: Bearer <token>` (else 401). The kubeconfig uses it. */
  token?: string;
  /**
   * More bearer tokens and the users they authenticate as (`system:authenticated` is added to their
   * groups, as the real authenticators do); e.g. `{ 'sa-token': serviceAccountUser('dbupdate', 'dbupdate') }`.
   * The admin token ({@link token}, default `sim-token`) authenticates as `kubernetes-admin` in `system:masters`.
   * With `users` or `rbac`, an unknown bearer token answers 401 and a request without one is `system:anonymous`.
   */
  users?: Record<string, UserInfo>;
  /** Authorize every request with RBAC (rbac.ts) from the Roles/ClusterRoles and bindings in the store. Default false. */
  rbac?: boolean;
  /**
   * The user of requests without an `Authorization` header when `users` or `rbac` is set (default
   * `system:anonymous` in `system:unauthenticated`, as the real server with anonymous auth enabled).
   * kubectl sends no credentials to an `http://` server (client-go's clientcmd reads a user's auth info
   * only for a TLS transport), so pass {@link ADMIN_USER} here to drive kubectl as admin against an
   * RBAC-enforcing emulator. Ignored when `token` is set (a request without it answers 401).
   */
  unauthenticatedUser?: UserInfo;
}

/** The user of the admin token (as in a kubeadm kubeconfig; `system:masters` is always authorized). */
export const ADMIN_USER: Required<UserInfo> = { user: 'kubernetes-admin', groups: [SYSTEM_MASTERS, SYSTEM_AUTHENTICATED] };

const RETURNS_OBJECT_ON_DELETE = new Set(['/pods', '/services', '/serviceaccounts', '/namespaces', 'apiextensions.k8s.io/customresourcedefinitions']);
const PATCH_TYPES: PatchType[] = ['application/json-patch+json', 'application/merge-patch+json', 'application/strategic-merge-patch+json', 'application/apply-patch+yaml'];
const MAX_BODY = 3 * 1024 * 1024;
/** The real server decodes YAML bodies with sigs.k8s.io/yaml (go-yaml v2, YAML 1.1: `y`, `on`, `no` are booleans). */
const YAML_1_1 = YAML_OPTIONS;

/** The Kubernetes API emulator's HTTP server. */
export class KubeApiServer {
  /** Base URL, e.g. `http://127.0.0.1:40123`. */
  readonly url: string;
  /** Every request served since start (or the last {@link resetRequests}). */
  readonly requests: RequestRecord[] = [];
  /** Fault injection. */
  readonly faults = new Faults();
  /**
   * Every `Warning` the server sent since start (or the last {@link resetRequests}) — e.g. `unknown field
   * "spec.x"` for a field a CRD's schema pruned — with the user and request, in order.
   */
  readonly warnings: Array<{ user: string; method: string; path: string; warning: string }> = [];
  /** Every request RBAC denied (403) since start (or the last {@link resetRequests}), in order. */
  readonly denials: Denial[] = [];
  /**
   * Requests other than watches being served right now (`inFlight`) and the most at once (`max`) since
   * start or the last {@link resetRequests}, counted from arrival to the response's end (tests of a
   * client's cap on concurrent requests, benchmarks), and the TCP connections accepted since then (`connections`).
   */
  readonly concurrency = { inFlight: 0, max: 0, connections: 0 };
  /** Delay (ms) before serving each request other than a watch: a slow server, so a client's requests overlap (default 0). */
  latencyMs = 0;
  /** The RBAC authorizer, when started with `rbac: true`. */
  readonly authorizer: RbacAuthorizer | undefined;
  private readonly users: Map<string, UserInfo>;
  private readonly strictAuth: boolean;
  private readonly unauthenticatedUser: UserInfo;
  private readonly sockets = new Set<Socket>();
  private readonly watches = new Set<ServerResponse>();
  private readonly token: string;
  /** RBAC decisions for SelfSubjectAccessReviews and impersonation when RBAC is not enforced. */
  private readonly reviewer: RbacAuthorizer;
  /** The (possibly impersonated) user each request is served as. */
  private readonly userOf = new WeakMap<IncomingMessage, UserInfo>();

  private constructor(
    readonly store: Store,
    private readonly server: Server,
    host: string,
    port: number,
    private readonly requireToken: boolean,
    token: string,
    opts: KubeApiServerOptions = {},
  ) {
    this.url = `http://${host}:${port}`;
    this.token = token;
    this.users = new Map(
      Object.entries(opts.users ?? {}).map(([t, u]) => [t, { user: u.user, groups: [...new Set([...(u.groups ?? []), SYSTEM_AUTHENTICATED])] }]),
    );
    this.authorizer = opts.rbac ? new RbacAuthorizer(store) : undefined;
    this.reviewer = this.authorizer ?? new RbacAuthorizer(store);
    this.strictAuth = requireToken || opts.rbac === true || opts.users !== undefined;
    this.unauthenticatedUser = opts.unauthenticatedUser ?? ANONYMOUS;
  }

  /** Start serving on `opts.host` (127.0.0.1) and `opts.port` (random). */
  static async start(opts: KubeApiServerOptions = {}): Promise<KubeApiServer> {
    const store = opts.store ?? new Store();
    const host = opts.host ?? '127.0.0.1';
    let self: KubeApiServer | undefined;
    const server = createServer((req, res) => {
      void self!.handle(req, res).catch((err) => {
        if (!res.headersSent) self!.sendError(res, err);
        else res.destroy();
      });
    });
    server.keepAliveTimeout = 5000;
    // WebSocket upgrades: a pod's port-forward (portforward.ts).
    server.on('upgrade', (req: IncomingMessage, socket: Socket, head: Buffer) => void self!.handleUpgrade(req, socket, head));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(opts.port ?? 0, host, () => resolve());
    });
    const port = (server.address() as { port: number }).port;
    self = new KubeApiServer(store, server, host, port, opts.token !== undefined, opts.token ?? 'sim-token', opts);
    server.on('connection', (s: Socket) => {
      self!.sockets.add(s);
      self!.concurrency.connections++;
      s.on('close', () => self!.sockets.delete(s));
    });
    return self;
  }

  /**
   * A kubeconfig (cluster `sim` over plain http with `insecure-skip-tls-verify: true`, user `sim` with a
   * bearer token, context `sim` with namespace `default`, current-context `sim`).
   * @param opts.token the bearer token (default: the admin token); pass a token of `users` for a non-admin user.
   * @param opts.namespace the context's namespace (default `default`).
   */
  kubeconfigYaml(opts: { token?: string; namespace?: string } = {}): string {
    return [
      'apiVersion: v1',
      'kind: Config',
      'clusters:',
      '- name: sim',
      '  cluster:',
      `    server: ${this.url}`,
      // client-node 1.4 refuses a plain-http cluster unless skipTLSVerify is set ("HTTP protocol is not
      // allowed when skipTLSVerify is not set or false", KubeConfig.createAgent); kubectl accepts it too.
      '    insecure-skip-tls-verify: true',
      'users:',
      '- name: sim',
      '  user:',
      `    token: ${opts.token ?? this.token}`,
      'contexts:',
      '- name: sim',
      '  context:',
      '    cluster: sim',
      '    user: sim',
      `    namespace: ${opts.namespace ?? 'default'}`,
      'current-context: sim',
      'preferences: {}',
      '',
    ].join('\n');
  }

  /** Write {@link kubeconfigYaml} (same options) to `path` (mode 0600). */
  writeKubeconfig(path: string, opts: { token?: string; namespace?: string } = {}): void {
    writeFileSync(path, this.kubeconfigYaml(opts), { mode: 0o600 });
  }

  /** The denials as lines (`user verb group/resource ns/name`), for a test's failure message. */
  formatDenials(): string {
    return this.denials
      .map((d) => `${d.user} ${d.verb} ${d.resource ? `${d.apiGroup || 'core'}/${d.resource}` : d.path}${d.namespace ? ` -n ${d.namespace}` : ''}${d.name ? ` ${d.name}` : ''}`)
      .join('\n');
  }

  /** Counts of served requests by verb (`get`, `list`, `watch`, `create`, `update`, `patch`, `delete`, `discovery`…). */
  requestCounts(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const r of this.requests) out[r.verb] = (out[r.verb] ?? 0) + 1;
    return out;
  }

  /** Forget recorded requests and denials. */
  resetRequests(): void {
    this.requests.length = 0;
    this.denials.length = 0;
    this.warnings.length = 0;
    this.concurrency.max = this.concurrency.inFlight;
    this.concurrency.connections = 0;
  }

  /** Number of open watch streams. */
  openWatches(): number {
    return this.watches.size;
  }

  /** End every open watch stream (clients see the connection close and must re-watch). */
  closeWatches(): void {
    for (const res of [...this.watches]) res.end();
  }

  /** Stop: end watches, close the listener and every connection. */
  async stop(): Promise<void> {
    this.closeWatches();
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    for (const s of this.sockets) s.destroy();
    await closed;
  }

  // ---- request handling ----

  private record(req: IncomingMessage, url: URL, verb: string): RequestRecord {
    const r: RequestRecord = { method: req.method ?? 'GET', path: url.pathname, url: url.pathname + url.search, verb, status: 0 };
    this.requests.push(r);
    return r;
  }

  private send(res: ServerResponse, rec: RequestRecord | undefined, code: number, body: unknown, headers: Record<string, string | string[]> = {}): void {
    if (rec) rec.status = code;
    for (const w of ([] as string[]).concat(headers.Warning ?? [])) {
      this.warnings.push({ user: rec?.user ?? '', method: rec?.method ?? '', path: rec?.path ?? '', warning: w });
    }
    const text = typeof body === 'string' ? body : JSON.stringify(body);
    res.writeHead(code, { 'Content-Type': typeof body === 'string' ? 'text/plain; charset=utf-8' : 'application/json', 'Cache-Control': 'no-cache, private', ...headers });
    res.end(text);
  }

  private sendError(res: ServerResponse, err: unknown, rec?: RequestRecord): void {
    const se = err instanceof StatusError ? err : genericStatus(500, `Internal error occurred: ${err instanceof Error ? err.message : String(err)}`);
    const headers: Record<string, string> = se.retryAfterSeconds !== undefined ? { 'Retry-After': String(se.retryAfterSeconds) } : {};
    this.send(res, rec, se.code, se.status, headers);
  }

  private async readBody(req: IncomingMessage): Promise<string> {
    return (await this.readBuffer(req)).toString('utf8');
  }

  private async readBuffer(req: IncomingMessage): Promise<Buffer> {
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const c of req) {
      size += (c as Buffer).length;
      if (size > MAX_BODY) throw new StatusError({ ...badRequest('request entity too large').status, code: 413, reason: 'RequestEntityTooLarge' });
      chunks.push(c as Buffer);
    }
    return Buffer.concat(chunks);
  }

  private decode(body: Buffer | string, contentType: string, type?: ResourceType): unknown {
    if (contentType.split(';')[0].trim() === PROTOBUF && typeof body !== 'string') {
      if (type?.custom) throw unsupportedMediaType(['application/json', 'application/yaml']);
      return decodeProtobuf(body, type);
    }
    if (/protobuf|cbor/.test(contentType)) throw unsupportedMediaType(type?.custom ? ['application/json', 'application/yaml'] : ['application/json', 'application/yaml', PROTOBUF]);
    const text = typeof body === 'string' ? body : body.toString('utf8');
    if (!text.trim()) throw badRequest('the body of the request was empty');
    try {
      return /yaml/.test(contentType) ? parseYaml(text, YAML_1_1) : JSON.parse(text);
    } catch (err) {
      throw badRequest(`couldn't get version/kind; json parse error: ${err instanceof Error ? err.message : String(err)}`);
    }
  }

  /**
   * The user of a request's `Authorization` header, or undefined (401). Without `token`, `users` and
   * `rbac`, every request is served as the admin (the emulator's historical behaviour).
   */
  private authenticate(header: string | undefined): UserInfo | undefined {
    const m = header?.match(/^Bearer\s+(.+)$/i);
    const token = m?.[1].trim();
    if (token === this.token) return ADMIN_USER;
    if (token !== undefined && this.users.has(token)) return this.users.get(token);
    if (!this.strictAuth) return ADMIN_USER;
    if (this.requireToken || header !== undefined) return undefined;
    return this.unauthenticatedUser;
  }

  /**
   * A WebSocket upgrade: authenticate as {@link handle} does, then serve a pod's port-forward
   * (portforward.ts): RBAC `get` and `create` on `pods/portforward`, injected faults ({@link faults}, verb
   * `get`), then the pod and port checks. Another path answers 404. Recorded in {@link requests} (verb
   * `get`, the verb of a connect GET) and {@link denials}.
   */
  private async handleUpgrade(req: IncomingMessage, socket: Socket, head: Buffer): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const rec = this.record(req, url, 'get');
    socket.on('error', () => socket.destroy());
    try {
      let user = this.authenticate(req.headers.authorization);
      if (!user) throw unauthorized();
      let authorizer = this.authorizer;
      const imp = impersonationOf(req);
      if (imp) {
        authorizer ??= this.reviewer;
        user = impersonate(user, imp, authorizer);
      }
      rec.user = user.user;
      const target = portForwardPath(url.pathname);
      if (!target) throw pathNotFound();
      if (authorizer) {
        const attrs = requestAttributes('GET', url);
        // GET authorizes `get`; Kubernetes ≥ 1.35 also requires `create` for the WebSocket upgrade.
        for (const verb of ['get', 'create']) {
          const a = { ...attrs, verb };
          const decision = authorizer.authorize(user, a);
          if (!decision.allowed) {
            const err = forbidden(user, a, decision.reason);
            this.denials.push({ user: user.user, groups: [...(user.groups ?? [])], verb, apiGroup: '', resource: 'pods/portforward', namespace: target.namespace, name: target.name, path: url.pathname, message: err.message });
            throw err;
          }
        }
      }
      const fault = this.faults.take('GET', url.pathname + url.search, 'get', user.user);
      if (fault) {
        if (fault.delayMs) await new Promise((r) => setTimeout(r, fault.delayMs));
        throw genericStatus(fault.status, fault.message, fault.retryAfterSeconds);
      }
      const pod = forwardablePod(this.store, target.namespace, target.name);
      const ports = parsePorts(url.searchParams);
      rec.status = upgradePortForward(this.store, req, socket, head, pod, ports);
    } catch (err) {
      rec.status = rejectUpgrade(socket, err);
    }
  }

  private verbOf(method: string, hasName: boolean, watch: boolean): string {
    switch (method) {
      case 'GET':
        return watch ? 'watch' : hasName ? 'get' : 'list';
      case 'POST':
        return 'create';
      case 'PUT':
        return 'update';
      case 'PATCH':
        return 'patch';
      case 'DELETE':
        return hasName ? 'delete' : 'deletecollection';
      default:
        return 'other';
    }
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const method = (req.method ?? 'GET').toUpperCase();
    const parsed = parseApiPath(url.pathname, (gvr) => this.store.resourceType(gvr)?.namespaced === true);
    const watchParam = url.searchParams.get('watch');
    const isWatch = parsed.kind === 'resource' && (parsed.legacyWatch || watchParam === 'true' || watchParam === '1');
    const verb = parsed.kind === 'resource' ? this.verbOf(method, parsed.name !== undefined, isWatch) : parsed.kind === 'other' ? 'other' : 'discovery';
    const rec = this.record(req, url, verb);
    if (!isWatch) {
      const conc = this.concurrency;
      conc.max = Math.max(conc.max, ++conc.inFlight);
      res.once('close', () => conc.inFlight--);
      if (this.latencyMs > 0) await new Promise((r) => setTimeout(r, this.latencyMs));
    }

    let user = this.authenticate(req.headers.authorization);
    if (!user) return this.sendError(res, unauthorized(), rec);
    let authorizer = this.authorizer;
    try {
      const imp = impersonationOf(req);
      if (imp) {
        // An impersonated request is always authorized (that is what `--as` is for), RBAC-enforcing or not.
        authorizer ??= this.reviewer;
        user = impersonate(user, imp, authorizer);
      }
    } catch (err) {
      await this.readBody(req).catch(() => '');
      return this.sendError(res, err, rec);
    }
    rec.user = user.user;
    this.userOf.set(req, user);
    if (authorizer) {
      const attrs = requestAttributes(method, url);
      const decision = authorizer.authorize(user, attrs);
      if (!decision.allowed) {
        const err = forbidden(user, attrs, decision.reason);
        this.denials.push({
          user: user.user,
          groups: [...(user.groups ?? [])],
          verb: attrs.verb,
          apiGroup: attrs.apiGroup,
          resource: attrs.subresource ? `${attrs.resource}/${attrs.subresource}` : attrs.resource,
          namespace: attrs.namespace,
          name: attrs.name,
          path: url.pathname,
          message: err.message,
        });
        await this.readBody(req).catch(() => '');
        return this.sendError(res, err, rec);
      }
    }
    const fault = this.faults.take(method, url.pathname + url.search, verb, user.user);
    if (fault) {
      await this.readBody(req).catch(() => '');
      if (fault.delayMs) await new Promise((r) => setTimeout(r, fault.delayMs));
      if (res.destroyed || req.socket.destroyed) return; // the client gave up
      return this.sendError(res, genericStatus(fault.status, fault.message, fault.retryAfterSeconds), rec);
    }
    try {
      await this.route(req, res, url, method, parsed, isWatch, rec, user);
    } catch (err) {
      if (!res.headersSent) this.sendError(res, err, rec);
      else res.end();
    }
  }

  private async route(
    req: IncomingMessage,
    res: ServerResponse,
    url: URL,
    method: string,
    parsed: ReturnType<typeof parseApiPath>,
    isWatch: boolean,
    rec: RequestRecord,
    user: UserInfo = ADMIN_USER,
  ): Promise<void> {
    const types = this.store.resourceTypes();
    if (parsed.kind !== 'resource') {
      if (method !== 'GET') throw methodNotAllowed();
      const p = url.pathname.replace(/\/+$/, '');
      if (p === '/healthz' || p === '/readyz' || p === '/livez') return this.send(res, rec, 200, 'ok');
      if (p === '/version') {
        return this.send(res, rec, 200, {
          major: '1',
          minor: '32',
          emulationMajor: '1',
          emulationMinor: '32',
          minCompatibilityMajor: '1',
          minCompatibilityMinor: '31',
          gitVersion: 'v1.32.0+sim',
          gitCommit: '0000000000000000000000000000000000000000',
          gitTreeState: 'clean',
          buildDate: '2026-01-01T00:00:00Z',
          goVersion: 'go1.23.0',
          compiler: 'gc',
          platform: 'linux/amd64',
        });
      }
      if (p === '/openapi/v3') return this.send(res, rec, 200, openApiV3Root(types));
      const oa = p.match(/^\/openapi\/v3\/(?:api\/(v1)|apis\/([^/]+)\/([^/]+))$/);
      if (oa) {
        const spec = openApiV3Doc(types, oa[2] ?? '', oa[1] ?? oa[3]);
        if (spec) return this.send(res, rec, 200, spec);
        // The real OpenAPI v3 handler answers an unknown group/version with an empty 404.
        return this.send(res, rec, 404, '');
      }
      if (p === '/openapi/v2') {
        if ((req.headers.accept ?? '').includes('protobuf')) {
          rec.status = 200;
          res.writeHead(200, { 'Content-Type': OPENAPI_V2_PROTO, 'Cache-Control': 'no-cache, private' });
          return void res.end(encodeOpenApiV2(openApiV2(types) as Parameters<typeof encodeOpenApiV2>[0]));
        }
        return this.send(res, rec, 200, openApiV2(types));
      }
      let doc: Record<string, unknown> | undefined;
      if (parsed.kind === 'root' && wantsAggregated(req.headers.accept)) return this.send(res, rec, 200, aggregatedDiscovery(types, parsed.which === 'api'), { 'Content-Type': AGGREGATED_DISCOVERY });
      if (parsed.kind === 'root') doc = parsed.which === 'api' ? apiVersions(new URL(this.url).host) : apiGroupList(types);
      else if (parsed.kind === 'group') doc = apiGroup(types, parsed.group);
      else if (parsed.kind === 'groupVersion') doc = apiResourceList(types, parsed.group, parsed.version);
      if (doc) return this.send(res, rec, 200, doc);
      if (parsed.kind === 'other' && !p.startsWith('/openapi')) return this.send(res, rec, 404, '404 page not found\n');
      // A group (or group/version) that is not served is the mux's plain 404.
      if (parsed.kind === 'group' || (parsed.kind === 'groupVersion' && !types.some((t) => t.group === parsed.group))) return this.send(res, rec, 404, '404 page not found\n');
      throw pathNotFound();
    }

    const type = this.store.resourceType(parsed.gvr);
    if (!type) {
      // A group/version not served at all is the mux's plain 404; a missing resource in a served one, a Status.
      if (!types.some((t) => t.group === parsed.gvr.group && t.version === parsed.gvr.version)) return this.send(res, rec, 404, '404 page not found\n');
      throw pathNotFound();
    }
    if (parsed.namespace !== undefined && !type.namespaced) throw pathNotFound();
    if (parsed.subresource === 'portforward' && type.group === '' && type.plural === 'pods' && parsed.name !== undefined) throw upgradeNotServed();
    if (parsed.subresource !== undefined && !(parsed.subresource === 'status' && type.hasStatus) && !(parsed.subresource === 'scale' && type.scale)) throw pathNotFound();
    let dry = this.dryRunOf(url.searchParams, method);
    const gvr = parsed.gvr;
    if (type.verbs && !type.verbs.includes(isWatch ? 'watch' : this.verbOf(method, parsed.name !== undefined, false))) throw methodNotAllowed();
    if (isSelfSubjectAccessReview(type) || isSelfSubjectRulesReview(type) || isSelfSubjectReview(type)) {
      const review = this.decode(await this.readBuffer(req), req.headers['content-type'] ?? '', type) as KubeObject;
      if (review && typeof review === 'object' && review.kind && review.kind !== type.kind) {
        throw badRequest(`${String(review.kind)} in version "${type.version}" cannot be handled as a ${type.kind}: the kind of the body does not match the resource`);
      }
      const who = this.userOf.get(req) ?? ADMIN_USER;
      if (isSelfSubjectRulesReview(type)) return this.send(res, rec, 201, selfSubjectRulesReview(review, who, this.reviewer));
      if (isSelfSubjectReview(type)) return this.send(res, rec, 201, selfSubjectReview(who, new Date().toISOString().replace(/\.\d{3}Z$/, 'Z')));
      return this.send(res, rec, 201, selfSubjectAccessReview(review, who, this.reviewer));
    }
    const ns = type.namespaced ? parsed.namespace : undefined;
    const sub = parsed.subresource === 'status' ? ({ subresource: 'status' } as const) : {};
    const q = url.searchParams;
    const accept = req.headers.accept;
    if (!acceptsJson(accept)) throw notAcceptable();

    if (parsed.subresource === 'scale' && parsed.name !== undefined) return this.serveScale(req, res, rec, type, ns, parsed.name, method, dry, user);
    // `?watch=1` on a named object is served as a plain GET (the real item handler ignores it); `/watch/…/name` is not served.
    if (method === 'GET' && isWatch && (parsed.name === undefined || parsed.legacyWatch)) {
      if (parsed.name !== undefined) throw methodNotAllowed();
      validateListOptions(q, true);
      return this.serveWatch(req, res, rec, type, ns, q);
    }
    switch (method) {
      case 'GET': {
        if (parsed.name !== undefined) {
          const obj = this.store.get(gvr, ns, parsed.name);
          if (wantsTable(accept)) {
            return this.send(res, rec, 200, toTable(type, [obj], { resourceVersion: obj.metadata.resourceVersion ?? '', includeObject: q.get('includeObject') ?? undefined }));
          }
          return this.send(res, rec, 200, obj);
        }
        validateListOptions(q, false);
        await this.waitForResourceVersion(q);
        const chunk = listChunk(this.store, type, ns, q);
        const more = { ...(chunk.continue ? { continue: chunk.continue } : {}), ...(chunk.remainingItemCount !== undefined ? { remainingItemCount: chunk.remainingItemCount } : {}) };
        if (wantsTable(accept)) {
          const table = toTable(type, chunk.items, { resourceVersion: chunk.resourceVersion, includeObject: q.get('includeObject') ?? undefined });
          table.metadata = { ...(table.metadata as object), ...more };
          return this.send(res, rec, 200, table);
        }
        const body = this.listBody(type, chunk.items, chunk.resourceVersion);
        body.metadata = { ...(body.metadata as object), ...more };
        return this.send(res, rec, 200, body);
      }
      case 'POST': {
        if (parsed.name !== undefined) throw methodNotAllowed();
        const raw = await this.readBuffer(req);
        const body = this.decode(raw, req.headers['content-type'] ?? '', type) as KubeObject;
        this.checkNamespace(body, ns);
        const wo = writeOptions(q, 'CreateOptions');
        this.checkDuplicates(raw, req.headers['content-type'] ?? '', type, wo);
        const createBody = ns ? this.withNamespace(body, ns) : body;
        const manager = managerOf(q.get('fieldManager'), req.headers['user-agent']);
        await this.webhooks(type, 'CREATE', dry, user, ns, body?.metadata?.name ?? '', undefined, (admit) => this.store.create(gvr, createBody, { ...wo, manager, warnings: [], dryRun: true, admit }));
        const created = this.store.create(gvr, createBody, { ...wo, manager, dryRun: dry, admit: this.admitter(type, 'CREATE', dry, user, ns, body?.metadata?.name ?? '') });
        return this.send(res, rec, 201, created, warningHeaders(wo.warnings));
      }
      case 'PUT': {
        if (parsed.name === undefined) throw methodNotAllowed();
        const raw = await this.readBuffer(req);
        const body = this.decode(raw, req.headers['content-type'] ?? '', type) as KubeObject;
        this.checkNamespace(body, ns);
        const bodyName = body?.metadata?.name;
        if (bodyName !== parsed.name) throw badRequest(`the name of the object (${bodyName ?? ''}) does not match the name on the URL (${parsed.name})`);
        const wo = writeOptions(q, 'UpdateOptions');
        this.checkDuplicates(raw, req.headers['content-type'] ?? '', type, wo);
        const existedBefore = this.store.tryGet(gvr, ns, parsed.name) !== undefined;
        const manager = managerOf(q.get('fieldManager'), req.headers['user-agent']);
        await this.webhooks(type, 'UPDATE', dry, user, ns, parsed.name, parsed.subresource, (admit) => this.store.update(gvr, ns ? this.withNamespace(body, ns) : body, { ...sub, ...wo, manager, warnings: [], dryRun: true, admit }));
        const updated = this.store.update(gvr, ns ? this.withNamespace(body, ns) : body, { ...sub, ...wo, manager, dryRun: dry, admit: this.admitter(type, 'UPDATE', dry, user, ns, parsed.name, parsed.subresource) });
        return this.send(res, rec, existedBefore ? 200 : 201, updated, warningHeaders(wo.warnings));
      }
      case 'PATCH': {
        if (parsed.name === undefined) throw methodNotAllowed();
        const ct = (req.headers['content-type'] ?? '').split(';')[0].trim() as PatchType;
        if (!PATCH_TYPES.includes(ct)) throw unsupportedMediaType(type.custom ? PATCH_TYPES.filter((p) => !p.includes('strategic')) : PATCH_TYPES);
        const text = await this.readBody(req);
        const patch = ct === 'application/apply-patch+yaml' ? text : this.decode(text, 'application/json');
        const existed = this.store.tryGet(gvr, ns, parsed.name) !== undefined;
        const wo = writeOptions(q, 'PatchOptions');
        const managed = {
          fieldManager: q.get('fieldManager') ?? undefined,
          manager: managerOf(q.get('fieldManager'), req.headers['user-agent']),
          force: q.has('force') ? q.get('force') === 'true' : undefined,
        };
        await this.webhooks(type, existed ? 'UPDATE' : 'CREATE', dry, user, ns, parsed.name, parsed.subresource, (admit) =>
          this.store.patch(gvr, ns, parsed.name!, patch, ct, { ...sub, ...wo, ...managed, warnings: [], dryRun: true, admit }),
        );
        const out = this.store.patch(gvr, ns, parsed.name, patch, ct, {
          ...sub,
          ...wo,
          ...managed,
          dryRun: dry,
          admit: this.admitter(type, existed ? 'UPDATE' : 'CREATE', dry, user, ns, parsed.name, parsed.subresource),
        });
        return this.send(res, rec, existed ? 200 : 201, out, warningHeaders(wo.warnings));
      }
      case 'DELETE': {
        if (parsed.name === undefined) {
          const { items, resourceVersion } = this.store.list(gvr, ns, q.get('labelSelector') ?? undefined, q.get('fieldSelector') ?? undefined);
          const deleted = items.map((o) => this.store.delete(gvr, o.metadata.namespace, o.metadata.name, { ...deleteOptionsOf(q, undefined), dryRun: dry, admit: this.admitter(type, 'DELETE', dry, user, o.metadata.namespace, o.metadata.name) }));
          return this.send(res, rec, 200, this.listBody(type, deleted, deleted.at(-1)?.metadata.resourceVersion ?? resourceVersion));
        }
        if (parsed.subresource) throw methodNotAllowed();
        const raw = await this.readBuffer(req);
        const dbody = raw.length && raw.toString('utf8').trim() ? this.decode(raw, req.headers['content-type'] ?? 'application/json') : undefined;
        const dopts = deleteOptionsOf(q, dbody);
        // DeleteOptions.dryRun in the body counts as the query parameter does.
        const bodyDry = (dbody as { dryRun?: unknown } | undefined)?.dryRun;
        if (Array.isArray(bodyDry) && bodyDry.length > 0) dry = this.dryRunOf(new URLSearchParams(bodyDry.map((v): [string, string] => ['dryRun', String(v)])), 'DELETE') || dry;
        await this.webhooks(type, 'DELETE', dry, user, ns, parsed.name, undefined, (admit) => this.store.delete(gvr, ns, parsed.name!, { ...dopts, dryRun: true, admit }));
        const gone = this.store.delete(gvr, ns, parsed.name, { ...dopts, dryRun: dry, admit: this.admitter(type, 'DELETE', dry, user, ns, parsed.name) });
        // Being deleted (finalizers, a pod's grace period): the registry answers the object, for every kind.
        if (!dry && gone.metadata.deletionTimestamp && this.store.tryGet(gvr, ns, parsed.name)?.metadata.uid === gone.metadata.uid) return this.send(res, rec, 200, gone);
        if (!type.custom && RETURNS_OBJECT_ON_DELETE.has(`${type.group}/${type.plural}`)) return this.send(res, rec, 200, gone);
        return this.send(res, rec, 200, successStatus({ name: gone.metadata.name, group: type.group, kind: type.plural, uid: gone.metadata.uid }));
      }
      default:
        throw methodNotAllowed();
    }
  }

  /**
   * A list at a resourceVersion newer than the store's (not `Exact`, no continue token) waits, as the
   * real watch cache does, up to 3 s for writes to catch up, then answers 504 {@link tooLargeResourceVersion}.
   */
  private async waitForResourceVersion(q: URLSearchParams): Promise<void> {
    const rv = q.get('resourceVersion');
    if (!rv || !/^\d+$/.test(rv) || q.get('continue') || q.get('resourceVersionMatch') === 'Exact') return;
    const deadline = Date.now() + 3000;
    while (Number(rv) > Number(this.store.currentResourceVersion())) {
      if (Date.now() >= deadline) throw tooLargeResourceVersion(rv, this.store.currentResourceVersion());
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  /**
   * Register a validating admission webhook for this server's store (see admission.ts): `hook.validate`
   * is asked about every matching CREATE/UPDATE/DELETE served over HTTP, dry runs included when its
   * `sideEffects` is `None`/`NoneOnDryRun`. Returns an unregister function.
   */
  addValidatingAdmission(hook: ValidatingWebhook): () => void {
    return addValidatingAdmission(this.store, hook);
  }

  /**
   * `dryRun` of a write: `All` → true; absent → false; anything else → 422 as the real server's option
   * validation (`Unsupported value: "x": supported values: "All"`). A GET ignores it.
   */
  private dryRunOf(q: URLSearchParams, method: string): boolean {
    const values = q.getAll('dryRun');
    if (values.length === 0 || method === 'GET') return false;
    if (values.some((v) => v !== 'All')) {
      const kind = method === 'POST' ? 'CreateOptions' : method === 'DELETE' ? 'DeleteOptions' : method === 'PATCH' ? 'PatchOptions' : 'UpdateOptions';
      throw invalid(kind, 'meta.k8s.io', '', [{ field: 'dryRun', reason: 'FieldValueNotSupported', message: `Unsupported value: ${JSON.stringify(values)}: supported values: "All"` }]);
    }
    return true;
  }

  /**
   * Duplicate keys of a JSON body (duplicates.ts): `fieldValidation=Strict` answers 400 `<Kind> in version
   * "<v>" cannot be handled as a <Kind>: strict decoding error: duplicate field "spec.size"`, `Warn` (the
   * default) adds a warning per duplicate, `Ignore` nothing; the last value is kept, as the decoder keeps it.
   */
  private checkDuplicates(raw: Buffer, contentType: string, type: ResourceType, wo: { fieldValidation: string; warnings: string[] }): void {
    const ct = contentType.split(';')[0].trim();
    if ((ct && ct !== 'application/json') || wo.fieldValidation === 'Ignore') return;
    const dups = duplicateFields(raw.toString('utf8')).map((d) => `duplicate field ${JSON.stringify(d)}`);
    if (dups.length === 0) return;
    if (wo.fieldValidation === 'Strict') throw badRequest(`${type.kind} in version "${type.version}" cannot be handled as a ${type.kind}: strict decoding error: ${dups.join(', ')}`);
    wo.warnings.push(...dups);
  }

  /** GET, PUT or PATCH a `/scale` subresource (scale.ts): the object's replicas seen and written as an autoscaling/v1 Scale. */
  private async serveScale(req: IncomingMessage, res: ServerResponse, rec: RequestRecord, type: ResourceType, ns: string | undefined, name: string, method: string, dry: boolean, user: UserInfo): Promise<void> {
    const gvr: GVR = { group: type.group, version: type.version, plural: type.plural };
    const current = scaleOf(type, this.store.get(gvr, ns, name));
    if (method === 'GET') return this.send(res, rec, 200, current);
    let next: KubeObject;
    if (method === 'PUT') next = JSON.parse(await this.readBody(req)) as KubeObject;
    else if (method === 'PATCH') {
      const ct = (req.headers['content-type'] ?? '').split(';')[0].trim();
      const body = this.decode(await this.readBody(req), 'application/json');
      next = ct === 'application/json-patch+json' ? applyJsonPatch(current, body) : applyMergePatch(current, body);
    } else throw methodNotAllowed();
    const patch = scalePatch(type, next, name);
    const out = this.store.patch(gvr, ns, name, patch, 'application/merge-patch+json', { dryRun: dry, admit: this.admitter(type, 'UPDATE', dry, user, ns, name, 'scale') });
    return this.send(res, rec, 200, scaleOf(type, out));
  }

  /** Call the registered ValidatingWebhookConfiguration webhooks matching a write, over HTTPS (admission.ts). */
  private webhooks(type: ResourceType, operation: AdmissionRequest['operation'], dryRun: boolean, user: UserInfo, ns: string | undefined, name: string, subResource: string | undefined, build: (admit: NonNullable<WriteOptions['admit']>) => unknown): Promise<void> {
    return runRegisteredWebhooks(this.store, { type, operation, dryRun, user: { username: user.user, groups: [...(user.groups ?? [])] }, namespace: ns, name, subResource, build: (admit) => void build(admit) });
  }

  /** The store's admission hook for one request (undefined when no webhook matches: nothing to run). */
  private admitter(type: ResourceType, operation: AdmissionRequest['operation'], dryRun: boolean, user: UserInfo, ns: string | undefined, name: string, subResource?: string): WriteOptions['admit'] {
    if (matchingWebhooks(this.store, type.group, type.plural, operation).length === 0) return undefined;
    return (object, oldObject) =>
      runValidatingAdmission(this.store, type.group, type.plural, {
        operation,
        object,
        oldObject,
        dryRun,
        namespace: ns,
        name: object?.metadata?.name ?? name,
        subResource,
        userInfo: { username: user.user, groups: [...(user.groups ?? [])] },
      });
  }

  /** 400 when the body names another namespace than the path (as the real server checks). */
  private checkNamespace(body: KubeObject, ns: string | undefined): void {
    if (!body || typeof body !== 'object') throw badRequest('the body of the request must be a JSON object');
    const bns = body.metadata?.namespace;
    if (ns && bns && bns !== ns) throw badRequest('the namespace of the provided object does not match the namespace sent on the request');
  }

  private withNamespace(body: KubeObject, ns: string): KubeObject {
    return { ...body, metadata: { ...(body.metadata ?? {}), namespace: ns } } as KubeObject;
  }

  private listBody(type: ResourceType, items: KubeObject[], resourceVersion: string): Record<string, unknown> {
    const apiVersion = type.group ? `${type.group}/${type.version}` : type.version;
    const out = type.custom
      ? items
      : items.map((o) => {
          const { apiVersion: _a, kind: _k, ...rest } = o;
          return rest;
        });
    return { kind: type.listKind, apiVersion, metadata: { resourceVersion }, items: out };
  }

  /**
   * Serve a watch stream. With a Table `Accept` (kubectl get -w), each event's object is a one-row
   * Table; column definitions are sent with the first event only, as the real server does.
   */
  private serveWatch(req: IncomingMessage, res: ServerResponse, rec: RequestRecord, type: ResourceType, ns: string | undefined, q: URLSearchParams): void {
    const gvr: GVR = { group: type.group, version: type.version, plural: type.plural };
    const asTable = wantsTable(req.headers.accept);
    let first = true;
    const encode = (ev: { type: string; object: KubeObject }): unknown => {
      if (!asTable) return ev;
      const table = toTable(type, [ev.object], { resourceVersion: ev.object.metadata.resourceVersion ?? '', includeObject: q.get('includeObject') ?? undefined });
      if (!first) table.columnDefinitions = [];
      first = false;
      return { type: ev.type, object: table };
    };
    let stop: (() => void) | undefined;
    let expiredStatus: unknown;
    const write = (line: unknown) => {
      if (!res.writableEnded) res.write(JSON.stringify(line) + '\n');
    };
    try {
      stop = this.store.watch(
        gvr,
        {
          namespace: ns,
          labelSelector: q.get('labelSelector') ?? undefined,
          fieldSelector: q.get('fieldSelector') ?? undefined,
          // sendInitialEvents: the current state first, whatever resourceVersion (NotOlderThan) says.
          resourceVersion: q.get('sendInitialEvents') === 'true' ? undefined : (q.get('resourceVersion') ?? undefined),
          initialEventsEnd: q.get('allowWatchBookmarks') === 'true' && (q.get('sendInitialEvents') === 'true' || !q.get('resourceVersion') || q.get('resourceVersion') === '0'),
        },
        (ev) => write(ev.type === 'BOOKMARK' ? ev : encode(ev as { type: string; object: KubeObject })),
      );
    } catch (err) {
      if (!(err instanceof StatusError) || err.code !== 410) throw err;
      expiredStatus = err.status;
    }
    rec.status = 200;
    res.writeHead(200, { 'Content-Type': 'application/json', 'Cache-Control': 'no-cache, private', 'Transfer-Encoding': 'chunked' });
    res.flushHeaders();
    if (expiredStatus) {
      write({ type: 'ERROR', object: expiredStatus });
      res.end();
      return;
    }
    this.watches.add(res);
    let timer: NodeJS.Timeout | undefined;
    const finish = () => {
      stop?.();
      clearTimeout(timer);
      this.watches.delete(res);
      if (!res.writableEnded) res.end();
    };
    const timeout = Number(q.get('timeoutSeconds') ?? '');
    if (Number.isFinite(timeout) && timeout > 0) timer = setTimeout(finish, timeout * 1000);
    res.on('finish', finish);
    res.on('close', finish);
    req.on('close', finish);
  }
}

