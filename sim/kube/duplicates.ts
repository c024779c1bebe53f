/**
 * Duplicate keys in a JSON body, as kube-apiserver's strict JSON decoder (sigs.k8s.io/json) reports them:
 * `duplicate field "spec.size"` (dotted path, `[i]` for array items). JSON.parse keeps the last value of a
 * duplicate silently; this scanner finds them first, so `fieldValidation=Strict` can refuse the body (400
 * `… strict decoding error: duplicate field "spec.size"`) and `Warn` can warn, as the real server does
 * (checked by the differential group `validation`).
 */

/** The paths of the duplicate keys of a JSON text, in order of appearance (empty for invalid JSON too). */
export function duplicateFields(text: string): string[] {
  const out: string[] = [];
  let i = 0;
  const ws = () => {
    while (i < text.length && ' \t\r\n'.includes(text[i])) i++;
  };
  const str = (): string => {
    let s = '';
    i++; // opening quote
    while (i < text.length && text[i] !== '"') {
      if (text[i] === '\\') {
        s += text.slice(i, i + 2);
        i += 2;
      } else s += text[i++];
    }
    i++;
    try {
      return JSON.parse(`"${s}"`) as string;
    } catch {
      return s;
    }
  };
  const value = (path: string): void => {
    ws();
    const c = text[i];
    if (c === '{') {
      i++;
      const seen = new Set<string>();
      ws();
      if (text[i] === '}') {
        i++;
        return;
      }
      while (i < text.length) {
        ws();
        if (text[i] !== '"') throw new Error('bad key');
        const key = str();
        const p = path ? `${path}.${key}` : key;
        if (seen.has(key)) out.push(p);
        seen.add(key);
        ws();
        if (text[i++] !== ':') throw new Error('bad colon');
        value(p);
        ws();
        if (text[i] === ',') i++;
        else if (text[i] === '}') {
          i++;
          return;
        } else throw new Error('bad object');
      }
    } else if (c === '[') {
      i++;
      ws();
      if (text[i] === ']') {
        i++;
        return;
      }
      for (let n = 0; i < text.length; n++) {
        value(`${path}[${n}]`);
        ws();
        if (text[i] === ',') i++;
        else if (text[i] === ']') {
          i++;
          return;
        } else throw new Error('bad array');
      }
    } else if (c === '"') str();
    else while (i < text.length && !',}] \t\r\n'.includes(text[i])) i++;
  };
  try {
    value('');
  } catch {
    return [];
  }
  return out;
}
