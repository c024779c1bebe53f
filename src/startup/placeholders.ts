/**
 * The example configuration's made-up Slack IDs (deploy/config.example.yaml and the Helm chart's
 * values.yaml). A configuration that still holds one was deployed without being edited: the bot would
 * run with approvers and channels that do not exist in the workspace, so it refuses to start.
 * `test/startup.test.ts` checks that every Slack ID of deploy/config.example.yaml is listed here.
 */

/** User (U…), channel (C…) and user group (S…) IDs used in the examples. */
export const PLACEHOLDER_IDS: readonly string[] = ['U0AAAAAAA', 'U0BBBBBBB', 'U0CCCCCCC', 'C0123456789', 'S0DBA00001'];

/** Where a placeholder was found: the dotted path in the configuration and the ID. */
export interface PlaceholderHit {
  path: string;
  id: string;
}

/**
 * Every place in `config` (a parsed configuration, any JSON-like value) where a placeholder ID appears,
 * as a value or as a key (e.g. `channelNamespaces.C0123456789`). Pure.
 * @returns hits in document order; empty when there are none.
 */
export function findPlaceholders(config: unknown, path = ''): PlaceholderHit[] {
  const at = (k: string | number) => (path ? `${path}.${k}` : String(k));
  if (typeof config === 'string') return PLACEHOLDER_IDS.includes(config) ? [{ path, id: config }] : [];
  if (Array.isArray(config)) return config.flatMap((v, i) => findPlaceholders(v, at(i)));
  if (config && typeof config === 'object') {
    return Object.entries(config).flatMap(([k, v]) => [...(PLACEHOLDER_IDS.includes(k) ? [{ path: at(k), id: k }] : []), ...findPlaceholders(v, at(k))]);
  }
  return [];
}

/**
 * The one-line refusal for {@link findPlaceholders}' hits, naming the file, the places and the fix.
 * @param source the configuration file's path.
 */
export function placeholderMessage(source: string, hits: PlaceholderHit[]): string {
  const where = hits.slice(0, 4).map((h) => `${h.path}=${h.id}`).join(', ') + (hits.length > 4 ? `, and ${hits.length - 4} more` : '');
  return (
    `${source} still holds the example's placeholder Slack IDs (${where}): replace them with your workspace's ` +
    `user, channel and user group IDs (Slack: a profile's ⋮ → "Copy member ID"; a channel's details, at the bottom), then deploy the configuration again`
  );
}
