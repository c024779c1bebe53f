/**
 * Start-up checks of `npm start` (src/main.ts): each one either passes or throws a {@link StartupError}
 * whose message is one line saying what is wrong and what to do; main.ts prints it without a stack
 * trace and exits 1. They run before the bot connects, so a misconfigured pod fails fast and its log
 * (`kubectl logs`) says why.
 */
import { WebClient, ErrorCode, LogLevel, type WebAPIPlatformError, type WebAPIRequestError } from '@slack/web-api';
import type { Kube } from '../kube/client.js';
import pRetry from 'p-retry';
import { isTimeout, isTransient, statusCode, statusMessage } from '../kube/errors.js';
import { servedResources } from '../kube/resources.js';
import { RECORD_GROUP, RECORD_PLURAL, RECORD_VERSION } from '../api/v1alpha1/databaseupdate.js';
import { BATCH_PLURAL } from '../api/v1alpha1/databaseupdatebatch.js';

/** A start-up problem a person must fix; `message` is one line (no stack trace is shown). */
export class StartupError extends Error {
  override name = 'StartupError';
}

/** Slack `error` codes of a token that is not valid (https://api.slack.com/methods/auth.test, "Errors"). */
const BAD_TOKEN_ERRORS = new Set(['invalid_auth', 'not_authed', 'account_inactive', 'token_revoked', 'token_expired', 'not_allowed_token_type']);

/** The Slack API base URL as the user would recognise it. */
const apiBase = (apiUrl?: string) => apiUrl ?? 'https://slack.com/api/';

/** A Web API call's failure as a one-line StartupError naming the environment variable concerned. */
function slackFailure(err: unknown, variable: string, method: string, apiUrl?: string): StartupError {
  const e = err as { code?: string; data?: { error?: string }; original?: Error };
  if (e.code === ErrorCode.PlatformError) {
    const code = (err as WebAPIPlatformError).data.error;
    if (BAD_TOKEN_ERRORS.has(code)) {
      return new StartupError(`${variable} is not valid: Slack's ${method} answered ${code}. Set ${variable} to the token from the app's settings (api.slack.com/apps → your app; see README "Install")`);
    }
    return new StartupError(`Slack's ${method} with ${variable} answered ${code}: see https://api.slack.com/methods/${method}#errors`);
  }
  if (e.code === ErrorCode.RequestError || e.code === ErrorCode.HTTPError) {
    const original = (err as WebAPIRequestError).original as (Error & { cause?: { code?: string; message?: string } }) | undefined;
    const why = original?.cause?.code ?? original?.cause?.message ?? original?.message ?? (err as Error).message;
    return new StartupError(`cannot reach Slack at ${apiBase(apiUrl)} (${method}: ${why}): check the network/egress to Slack${apiUrl ? ' and SLACK_API_URL' : ''}`);
  }
  return new StartupError(`Slack's ${method} failed: ${(err as Error).message}`);
}

/**
 * Check the Slack tokens: `auth.test` with the bot token, and (Socket Mode) `apps.connections.open`
 * with the app-level token — the same call Bolt's Socket Mode client makes first; the URL it returns
 * is single-use and simply expires unused (https://api.slack.com/methods/apps.connections.open).
 * No retries: a wrong token is not transient.
 * @throws StartupError naming SLACK_BOT_TOKEN / SLACK_APP_TOKEN when Slack refuses it, or saying that
 *   Slack cannot be reached.
 */
export async function checkSlack(s: { botToken: string; appToken?: string; apiUrl?: string }): Promise<void> {
  // No retries, and the SDK's own console warnings off: the failure is reported once, as one line.
  const silent = { debug() {}, info() {}, warn() {}, error() {}, setLevel() {}, getLevel: () => LogLevel.ERROR, setName() {} };
  const options = { ...(s.apiUrl ? { slackApiUrl: s.apiUrl } : {}), retryConfig: { retries: 0 }, timeout: 15_000, logger: silent };
  try {
    await new WebClient(s.botToken, options).auth.test();
  } catch (err) {
    throw slackFailure(err, 'SLACK_BOT_TOKEN', 'auth.test', s.apiUrl);
  }
  if (!s.appToken) return;
  try {
    await new WebClient(s.appToken, options).apps.connections.open();
  } catch (err) {
    throw slackFailure(err, 'SLACK_APP_TOKEN', 'apps.connections.open', s.apiUrl);
  }
}

/**
 * Check a cluster: the API server answers, accepts the credentials, and serves the DatabaseUpdate and
 * DatabaseUpdateBatch CRDs
 * (`GET /apis/dbupdate.dev/v1alpha1`, API discovery, which every authenticated user may read through the
 * default `system:discovery` ClusterRole).
 * @param where how the user picked this cluster (e.g. `KUBECONFIG`, `clusters.eu`), used in messages.
 * Transient answers (429, 5xx, a timeout) are retried up to 5 times (waits 0.2–2 s) first.
 * @throws StartupError: unreachable server, 401 (credentials), 403, missing CRD (404, or no `databaseupdates`
 *   or `databaseupdatebatches`),
 *   or a transient answer that lasted through the retries.
 */
export async function checkKube(kube: Kube, where: string, opts: { requireCrd: boolean }): Promise<void> {
  const server = kube.kc.getCurrentCluster()?.server ?? '(no server)';
  const crd = `databaseupdates.${RECORD_GROUP}`;
  let resources: string[];
  try {
    // An overloaded or restarting API server (429, 5xx, no answer in time) is asked again a few times
    // (p-retry, as the record writes do) before the bot gives up: only a lasting answer stops the start.
    resources = await pRetry(() => servedResources(kube, RECORD_GROUP, RECORD_VERSION), {
      retries: 5,
      minTimeout: 200,
      maxTimeout: 2000,
      shouldRetry: ({ error }) => isTransient(error),
    });
  } catch (err) {
    const code = statusCode(err);
    if (code === 404) {
      if (!opts.requireCrd) return;
      throw new StartupError(`the cluster at ${server} (${where}) has no ${crd} CRD: install it with kubectl apply -f deploy/crd-databaseupdate.yaml (or apply -k deploy/, or the Helm chart)`);
    }
    if (code === 401) throw new StartupError(`the Kubernetes API server at ${server} (${where}) refused the credentials (401 Unauthorized): renew the token or client certificate in the kubeconfig, or check the pod's service account token`);
    if (code === 403) throw new StartupError(`the Kubernetes API server at ${server} (${where}) forbids API discovery (403: ${statusMessage(err)}): the bot's user needs the default system:discovery ClusterRole`);
    if (code !== undefined) throw new StartupError(`the Kubernetes API server at ${server} (${where}) answered ${code}: ${statusMessage(err)}`);
    const why = isTimeout(err) ? 'no answer in time' : ((err as { cause?: Error }).cause?.message ?? (err as Error).message);
    throw new StartupError(`cannot reach the Kubernetes API server at ${server} (${where}): ${why}. Check KUBECONFIG / KUBE_CONTEXT (or the pod's network to the API server)`);
  }
  if (opts.requireCrd && !resources.includes(RECORD_PLURAL)) {
    throw new StartupError(`the cluster at ${server} (${where}) serves ${RECORD_GROUP}/${RECORD_VERSION} without databaseupdates: install the CRD with kubectl apply -f deploy/crd-databaseupdate.yaml`);
  }
  // The batch CRD came with fleet updates (#19): a chart upgraded from before it lacks it, because Helm
  // installs a chart's crds/ on install only (https://helm.sh/docs/chart_best_practices/custom_resource_definitions/),
  // and without it `list`, the Home tab and every fleet request would fail at their first read.
  if (opts.requireCrd && !resources.includes(BATCH_PLURAL)) {
    throw new StartupError(`the cluster at ${server} (${where}) has no ${BATCH_PLURAL}.${RECORD_GROUP} CRD (fleet updates): install it with kubectl apply -f deploy/crd-databaseupdatebatch.yaml (Helm installs a chart's CRDs on install only, not on upgrade)`);
  }
}
