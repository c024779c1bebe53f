/**
 * The selection of a fleet request (issue #19 item 1), pure: which databases of one engine a
 * `/dbupdate <engine> … <version>` names when it names more than one.
 * ```
 * /dbupdate mysql -l tier=staging 8.4            # a label selector (in -n NS, else the default namespace)
 * /dbupdate mysql --all -n payments 8.4          # every database of the engine in one namespace
 * /dbupdate mysql orders,ledger,billing/pool 8.4 # several names, each `name` or `namespace/name`
 * ```
 * Label selectors follow Kubernetes' syntax (https://kubernetes.io/docs/concepts/overview/working-with-objects/labels/#label-selectors):
 * requirements joined by `,`, each `key=value`, `key==value`, `key!=value`, `key in (v1,v2)`,
 * `key notin (v1,v2)`, `key` (exists) or `!key` (does not exist). A key is an optional DNS-1123 subdomain
 * prefix and `/`, then a name of at most 63 characters (alphanumerics, `-`, `_`, `.`, alphanumeric at both
 * ends); a value is empty or such a name. The selector is checked here, before any API call, and handed to
 * the API server as it was written (normalised spacing).
 */
/** A database as the user wrote it: `name`, or `namespace/name` (as `DbRef` of `./parse.ts`). */
export type FleetRef = { namespace?: string; name: string };

/** Which databases a fleet request names. */
export type Selection =
  /** A label selector (Kubernetes syntax, normalised), within one namespace. */
  | { kind: 'labels'; selector: string }
  /** Every database of the engine in one namespace. */
  | { kind: 'all' }
  /** Databases by name, each `name` (in the request's namespace) or `namespace/name`. */
  | { kind: 'names'; refs: FleetRef[] };

/** Most names in one request (a longer list is a selector's job). */
export const MAX_FLEET_NAMES = 200;

const NAME = /^[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/;
const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

function code(s: string): string {
  const shown = s.length > 80 ? `${s.slice(0, 77)}…` : s;
  return '`' + shown.replace(/`/g, "'") + '`';
}

/** Why `key` is not a label key, or undefined when it is one. */
export function labelKeyError(key: string): string | undefined {
  const slash = key.lastIndexOf('/');
  const prefix = slash >= 0 ? key.slice(0, slash) : undefined;
  const name = slash >= 0 ? key.slice(slash + 1) : key;
  if (prefix !== undefined && (prefix.length === 0 || prefix.length > 253 || !DNS1123_SUBDOMAIN.test(prefix))) {
    return `${code(key)} is not a label key: its prefix ${code(prefix)} must be a DNS subdomain (lower-case, e.g. \`example.com/tier\`).`;
  }
  if (name.length === 0 || name.length > 63 || !NAME.test(name)) {
    return `${code(key)} is not a label key: use at most 63 letters, digits, '-', '_' or '.', starting and ending with a letter or digit (e.g. \`tier\`).`;
  }
  return undefined;
}

/** Why `value` is not a label value, or undefined when it is one (empty is allowed). */
export function labelValueError(value: string, key: string): string | undefined {
  if (value === '' || (value.length <= 63 && NAME.test(value))) return undefined;
  return `${code(value)} is not a label value (for ${code(key)}): use at most 63 letters, digits, '-', '_' or '.', starting and ending with a letter or digit.`;
}

/** Split at commas outside parentheses. */
function splitRequirements(s: string): string[] | undefined {
  const out: string[] = [];
  let depth = 0;
  let cur = '';
  for (const ch of s) {
    if (ch === '(') depth++;
    if (ch === ')') depth--;
    if (depth < 0 || depth > 1) return undefined;
    if (ch === ',' && depth === 0) {
      out.push(cur);
      cur = '';
    } else cur += ch;
  }
  if (depth !== 0) return undefined;
  out.push(cur);
  return out;
}

const EXAMPLE = 'e.g. `-l tier=staging`, `-l "tier in (staging,qa)"` or `-l app=shop,tier!=prod`';

/**
 * Parse and check a label selector (Kubernetes syntax, see the module comment).
 * @returns the selector, normalised (`tier in (a,b)`), or an error saying what is wrong and showing the forms.
 */
export function parseLabelSelector(text: string): { ok: true; selector: string } | { ok: false; error: string } {
  const s = text.trim();
  if (s === '') return { ok: false, error: `The label selector is empty: ${EXAMPLE}.` };
  const parts = splitRequirements(s);
  if (!parts) return { ok: false, error: `${code(s)} is not a label selector: its parentheses do not match; ${EXAMPLE}.` };
  const out: string[] = [];
  for (const raw of parts) {
    const p = raw.trim();
    if (p === '') return { ok: false, error: `${code(s)} is not a label selector: it has an empty requirement (two commas, or one at an end); ${EXAMPLE}.` };
    const set = /^([^\s=!(),]+)\s+(in|notin)\s*\(([^()]*)\)$/.exec(p);
    if (set) {
      const [, key, op, list] = set;
      const ke = labelKeyError(key);
      if (ke) return { ok: false, error: ke };
      const values = list.split(',').map((v) => v.trim());
      if (values.length === 0 || values.some((v) => v === '')) return { ok: false, error: `${code(p)} lists an empty value: write \`${key} ${op} (a,b)\`.` };
      for (const v of values) {
        const ve = labelValueError(v, key);
        if (ve) return { ok: false, error: ve };
      }
      out.push(`${key} ${op} (${values.join(',')})`);
      continue;
    }
    const eq = /^([^\s=!(),]+)\s*(==|!=|=)\s*([^\s=!(),]*)$/.exec(p);
    if (eq) {
      const [, key, op, value] = eq;
      const ke = labelKeyError(key);
      if (ke) return { ok: false, error: ke };
      const ve = labelValueError(value, key);
      if (ve) return { ok: false, error: ve };
      out.push(`${key}${op}${value}`);
      continue;
    }
    const exists = /^(!?)([^\s=!(),]+)$/.exec(p);
    if (exists) {
      const ke = labelKeyError(exists[2]);
      if (ke) return { ok: false, error: ke };
      out.push(`${exists[1]}${exists[2]}`);
      continue;
    }
    return { ok: false, error: `${code(p)} is not a label requirement: write \`key=value\`, \`key!=value\`, \`key in (a,b)\`, \`key notin (a,b)\`, \`key\` or \`!key\`; ${EXAMPLE}.` };
  }
  return { ok: true, selector: out.join(',') };
}

