/**
 * The differential harness: the same API operations sent over HTTP to the Kubernetes API emulator
 * (sim/kube) and to a real kube-apiserver, their answers normalised and compared.
 *
 * - Transport: plain `node:http`/`node:https` requests whose TLS and bearer token come from each
 *   backend's kubeconfig through `@kubernetes/client-node`'s `KubeConfig.applyToHTTPSOptions` (the calls
 *   here are raw API operations that a typed client cannot express: wrong bodies, protobuf, watches with
 *   bookmarks, DeleteOptions bodies, impersonation).
 * - Users: the admin credential of each backend; `as: 'alice'` or `as: 'bot'` impersonates the user
 *   `alice` or the bot's service account (`Impersonate-User`), which the admin may do on both.
 * - Normalisation: the namespace of a run is masked as `{ns}`, uids, resourceVersions, timestamps and
 *   generated names are masked; what is compared is the HTTP code, a failure's `Status` reason and
 *   causes (reason, field), and, for a success, the paths an operation picks (see {@link Op.pick}).
 * - Each operation's verdict is recorded; `DIFF_REPORT_DIR` set writes them as JSON per group for
 *   scripts/emulator-fidelity.ts, which renders docs/emulator-fidelity.md.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest, type RequestOptions } from 'node:https';
import { join } from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';

/** One backend reached over HTTP: a name and its admin kubeconfig. */
export interface Backend {
  name: 'real' | 'emulator';
  kubeConfig: KubeConfig;
  /** Values saved by operations ({@link Op.save}), read by later operations' functions. */
  saved: Record<string, unknown>;
  /** Compact the backend's storage up to now (the real server: etcd compaction; the emulator has no storage below its history). */
  compact?: () => Promise<void>;
}

/** Values saved by earlier operations on one backend. */
export type Saved = Record<string, unknown>;

/** A value given as is, or computed from what earlier operations saved on the same backend. */
export type Lazy<T> = T | ((saved: Record<string, unknown>) => T);

/** One API operation of the differential table. */
export interface Op {
  /** Unique id, `group/what` (the known-differences list and the report refer to it). */
  id: string;
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  /** Path with `{ns}` for the run's namespace, query included. */
  path: Lazy<string>;
  body?: Lazy<unknown>;
  /** Content-Type (default `application/json`; a Buffer body is sent as is). */
  contentType?: string;
  headers?: Record<string, string>;
  /** Impersonate this user (`alice`: no roles; `bot`: the bot's service account). */
  as?: 'alice' | 'bot';
  /** Dotted paths of a success body to compare (`items[].metadata.name` maps over a list). */
  pick?: string[];
  /**
   * Values computed from a success body (and the values saved before on the same backend), compared
   * like picks: for what a dotted path cannot name (an item of a list by its name, keys with dots).
   */
  probe?: Record<string, (body: any, saved: Saved) => unknown>;
  /** Compare the top-level `message` of a failure too (normalised). */
  message?: boolean;
  /** Compare the `Warning` headers of the answer too. */
  warnings?: boolean;
  /** Save values of the answer, by name: dotted path in the body (`metadata.uid`). */
  save?: Record<string, string>;
  /** A watch: read the stream for `ms` (or until `events` events arrived), running `during` meanwhile. */
  watch?: { ms?: number; events?: number; during?: Op[] };
  /** Compact the backend's history first ({@link Backend.compact}), so older resourceVersions answer 410. */
  compactFirst?: boolean;
  /** Wait before sending (ms), e.g. for a controller's work. */
  waitMs?: number;
  /**
   * Repeat the operation (every 200 ms, at most `ms`) until it answers `code` and, when `path` is given,
   * the body's value at `path` is `value` (e.g. an RBAC answer that the real authorizer's informer has caught up with).
   */
  until?: { code: number; ms: number; path?: string; value?: unknown };
}

/** A normalised answer. */
export interface Answer {
  code: number;
  reason?: string;
  causes?: string[];
  message?: string;
  picked?: Record<string, unknown>;
  events?: string[];
  warnings?: string[];
}

/** The verdict on one operation. */
export interface Verdict {
  id: string;
  group: string;
  agree: boolean;
  real: Answer;
  emulator: Answer;
  /** The reason from the known-differences list, when the operation is listed there. */
  known?: string;
}

const IMPERSONATE: Record<NonNullable<Op['as']>, string> = { alice: 'alice', bot: 'system:serviceaccount:dbupdate:dbupdate' };

/** Run-wide masks: the namespace of the group and strings that differ by construction. */
export interface Masks {
  namespace: string;
}

function get(obj: unknown, path: string): unknown {
  if (path === '') return obj;
  const [head, ...rest] = path.split('.');
  if (head.endsWith('[]')) {
    const arr = (obj as Record<string, unknown> | undefined)?.[head.slice(0, -2)];
    if (!Array.isArray(arr)) return undefined;
    return arr.map((x) => get(x, rest.join('.')));
  }
  const next = obj && typeof obj === 'object' ? (obj as Record<string, unknown>)[head] : undefined;
  return rest.length ? get(next, rest.join('.')) : next;
}

const UID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g;
/** A name from `generateName: gen-` (5 characters of the apiserver's alphabet). */
const GENERATED = /\b(gen-)[bcdfghjklmnpqrstvwxz2456789]{5}\b/g;
const TIME = /\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?Z/g;
const MASKED_KEYS = new Set(['resourceVersion', 'uid', 'creationTimestamp', 'time', 'lastTransitionTime', 'deletionTimestamp', 'continue']);

/** Mask volatile values of a JSON value (keys in MASKED_KEYS become `{key}` when set; uids and times in strings). */
export function normalise(v: unknown, m: Masks): unknown {
  if (typeof v === 'string') return v.split(m.namespace).join('{ns}').replace(UID, '{uid}').replace(TIME, '{time}').replace(GENERATED, '$1{random}');
  if (Array.isArray(v)) return v.map((x) => normalise(x, m));
  if (v && typeof v === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
      out[k] = MASKED_KEYS.has(k) && x !== undefined && x !== null && x !== '' ? `{${k}}` : normalise(x, m);
    }
    return out;
  }
  return v;
}

function send(kc: KubeConfig, method: string, path: string, body: Buffer | undefined, headers: Record<string, string>): Promise<IncomingMessage> {
  const cluster = kc.getCurrentCluster();
  if (!cluster) throw new Error('kubeconfig has no current cluster');
  const url = new URL(path, cluster.server);
  return (async () => {
    // Content-Length always: Node sends a DELETE body neither chunked nor sized otherwise.
    const opts: RequestOptions = { method, headers: { Accept: 'application/json', ...headers, ...(body ? { 'Content-Length': String(body.length) } : {}) } };
    await kc.applyToHTTPSOptions(opts);
    const req = (url.protocol === 'https:' ? httpsRequest : httpRequest)(url, opts);
    return await new Promise<IncomingMessage>((resolve, reject) => {
      req.once('response', resolve);
      req.once('error', reject);
      req.end(body);
    });
  })();
}

async function readAll(res: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of res) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

function resolve<T>(v: Lazy<T>, saved: Record<string, unknown>): T {
  return typeof v === 'function' ? (v as (s: Record<string, unknown>) => T)(saved) : v;
}

/** Send one operation to one backend; the raw answer (code, parsed body or text, watch events). */
export async function perform(b: Backend, op: Op, m: Masks): Promise<Raw> {
  if (op.waitMs) await new Promise((r) => setTimeout(r, op.waitMs));
  if (op.compactFirst) {
    if (!b.compact) throw new Error(`${b.name}: ${op.id} needs a compaction, which this backend does not offer`);
    await b.compact();
  }
  const path = resolve(op.path, b.saved).split('{ns}').join(m.namespace);
  const rawBody = op.body === undefined ? undefined : resolve(op.body, b.saved);
  const body =
    rawBody === undefined ? undefined : Buffer.isBuffer(rawBody) ? rawBody : Buffer.from((typeof rawBody === 'string' ? rawBody : JSON.stringify(rawBody)).split('{ns}').join(m.namespace));
  const headers: Record<string, string> = { ...(op.headers ?? {}) };
  if (body) headers['Content-Type'] = op.contentType ?? 'application/json';
  if (op.as) headers['Impersonate-User'] = IMPERSONATE[op.as];
  if (op.until) {
    const end = Date.now() + op.until.ms;
    for (;;) {
      const res = await send(b.kubeConfig, op.method, path, body, headers);
      const text = await readAll(res);
      const reached = () => {
        if (res.statusCode !== op.until!.code) return false;
        if (op.until!.path === undefined) return true;
        try {
          return JSON.stringify(get(JSON.parse(text), op.until!.path)) === JSON.stringify(op.until!.value);
        } catch {
          return false;
        }
      };
      if (reached() || Date.now() > end) return finish(b, op, res, text);
      await new Promise((r) => setTimeout(r, 200));
    }
  }
  const res = await send(b.kubeConfig, op.method, path, body, headers);
  if (!op.watch || (res.statusCode ?? 0) >= 300) return finish(b, op, res, await readAll(res));
  const events: unknown[] = [];
  let buf = '';
  const done = new Promise<void>((resolveDone) => {
    const timer = setTimeout(() => {
      res.destroy();
      resolveDone();
    }, op.watch!.ms ?? 1500);
    res.on('data', (c: Buffer) => {
      buf += c.toString('utf8');
      let i: number;
      while ((i = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, i).trim();
        buf = buf.slice(i + 1);
        if (op.watch!.events !== undefined && events.length >= op.watch!.events) break;
        if (line) events.push(JSON.parse(line));
        if (op.watch!.events !== undefined && events.length >= op.watch!.events) {
          clearTimeout(timer);
          res.destroy();
          resolveDone();
          break;
        }
      }
    });
    res.on('end', () => {
      clearTimeout(timer);
      resolveDone();
    });
    res.on('error', () => resolveDone());
  });
  for (const d of op.watch.during ?? []) await perform(b, d, m);
  await done;
  if (buf.trim() && (op.watch.events === undefined || events.length < op.watch.events)) {
    try {
      events.push(JSON.parse(buf));
    } catch {
      /* a partial line cut by the close */
    }
  }
  return { code: res.statusCode ?? 0, body: undefined, events };
}

/** A raw answer: HTTP code, parsed body (or text), `Warning` header texts, watch events. */
export interface Raw {
  code: number;
  body: unknown;
  warnings?: string[];
  events?: unknown[];
  /** The values of the operation's probes. */
  probed?: Record<string, unknown>;
}

function finish(b: Backend, op: Op, res: IncomingMessage, text: string): Raw {
  const code = res.statusCode ?? 0;
  const warnings = ([] as string[]).concat(res.headers.warning ?? []).flatMap((w) => w.split(/,(?=\s*299 )/)).map((w) => w.trim().replace(/^299 - "(.*)"$/, '$1'));
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    /* plain text (404 page not found) */
  }
  for (const [name, path] of Object.entries(op.save ?? {})) b.saved[name] = get(body, path);
  const probed: Record<string, unknown> = {};
  if (code < 400) {
    for (const [name, fn] of Object.entries(op.probe ?? {})) {
      try {
        probed[name] = fn(body, b.saved);
      } catch (err) {
        probed[name] = `probe failed: ${err instanceof Error ? err.message : String(err)}`;
      }
    }
  }
  return { code, body, warnings, probed };
}

/**
 * The field errors of an Invalid message in a stable order (`… is invalid: [b: …, a: …]` → `[a: …, b: …]`):
 * the real server's order of several errors varies from one run to the next (seen on
 * `validation/widget/two-errors`), so the order is not compared, the errors are.
 */
export function sortFieldErrors(message: string): string {
  const m = message.match(/^(.* is invalid: )\[(.*)\]$/s);
  if (!m) return message;
  const items = m[2].split(/, (?=\.?[A-Za-z][\w.[\]-]*: )/);
  return `${m[1]}[${items.sort().join(', ')}]`;
}

/** The normalised, comparable form of an answer. */
export function answerOf(op: Op, raw: Raw, m: Masks): Answer {
  const a: Answer = { code: raw.code };
  if (op.warnings) a.warnings = (raw.warnings ?? []).map((w) => normalise(w, m) as string).sort();
  const body = raw.body as Record<string, unknown> | undefined;
  if (raw.events) {
    a.events = raw.events.map((e) => {
      const ev = e as { type: string; object?: { kind?: string; metadata?: { name?: string; annotations?: Record<string, string> }; code?: number; reason?: string } };
      const o = ev.object ?? {};
      if (ev.type === 'ERROR') return `ERROR ${o.code} ${o.reason}`;
      if (ev.type === 'BOOKMARK') return `BOOKMARK ${o.metadata?.annotations?.['k8s.io/initial-events-end'] === 'true' ? 'initial-events-end' : ''}`.trim();
      return `${ev.type} ${o.kind ?? ''} ${o.metadata?.name ?? ''}`;
    });
    return a;
  }
  if (body && typeof body === 'object' && body.kind === 'Status' && body.status === 'Failure') {
    a.reason = String(body.reason ?? '');
    const causes = ((body.details as { causes?: Array<{ reason?: string; field?: string }> } | undefined)?.causes ?? []).map((c) => `${c.reason ?? ''} ${c.field ?? ''}`.trim());
    if (causes.length) a.causes = causes.sort();
    if (op.message) a.message = sortFieldErrors(normalise(body.message, m) as string);
    return a;
  }
  if (raw.code >= 400) {
    if (typeof body === 'string') a.message = (normalise(body, m) as string).trim();
    return a;
  }
  if (op.pick || op.probe) {
    a.picked = {};
    for (const p of op.pick ?? []) a.picked[p] = normalise(get(body, p), m);
    for (const [name, v] of Object.entries(raw.probed ?? {})) a.picked[`probe:${name}`] = normalise(v, m);
  }
  return a;
}

/** Whether two normalised answers agree. */
export function agree(a: Answer, b: Answer): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

/** Write a group's verdicts for the report (when `DIFF_REPORT_DIR` is set). */
export function writeVerdicts(group: string, verdicts: Verdict[]): void {
  const dir = process.env.DIFF_REPORT_DIR;
  if (!dir) return;
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, `${group}.json`), JSON.stringify(verdicts, null, 1));
}
