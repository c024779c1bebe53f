/**
 * Block Kit checks the emulator applies to `blocks` (messages) and to modal views, and the plain-text
 * rendering of blocks used by the transcript. Pure functions.
 *
 * Limits from https://api.slack.com/reference/block-kit/blocks and
 * https://api.slack.com/reference/block-kit/block-elements : 50 blocks a message (100 in a modal),
 * section text 3,000 chars, section fields 10 × 2,000, header text 150, actions 25 elements, context 10,
 * `block_id`/`action_id` 255, button text 75 and `value` 2,000.
 */

type Obj = Record<string, unknown>;

const KNOWN_BLOCKS = new Set(['section', 'context', 'actions', 'header', 'divider', 'image', 'input', 'rich_text', 'markdown', 'file', 'video']);

function isObj(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function textOf(t: unknown): string | undefined {
  return isObj(t) && typeof t.text === 'string' ? t.text : undefined;
}

/**
 * Validate a `blocks` array. Returns the Slack-style problem strings
 * (`"[ERROR] <what> [json-pointer:/blocks/0/text]"`, as in `response_metadata.messages` of an
 * `invalid_blocks` answer), empty when valid.
 * @param maxBlocks 50 for messages, 100 for modals.
 */
export function validateBlocks(blocks: unknown, maxBlocks = 50): string[] {
  if (!Array.isArray(blocks)) return ['[ERROR] must be an array [json-pointer:/blocks]'];
  const errs: string[] = [];
  const err = (what: string, ptr: string) => errs.push(`[ERROR] ${what} [json-pointer:/blocks${ptr}]`);
  if (blocks.length > maxBlocks) err(`no more than ${maxBlocks} items allowed`, '');
  const blockIds = new Set<string>();
  blocks.forEach((b, i) => {
    const p = `/${i}`;
    if (!isObj(b) || typeof b.type !== 'string') return err('must provide an object with a string type', p);
    if (!KNOWN_BLOCKS.has(b.type)) return err(`unsupported type: ${b.type}`, `${p}/type`);
    if (b.block_id !== undefined) {
      if (typeof b.block_id !== 'string' || b.block_id.length > 255) err('must be a string of at most 255 characters', `${p}/block_id`);
      else if (blockIds.has(b.block_id)) err(`duplicate block_id: ${b.block_id}`, `${p}/block_id`);
      else blockIds.add(b.block_id);
    }
    switch (b.type) {
      case 'section': {
        const t = textOf(b.text);
        if (t === undefined && !Array.isArray(b.fields)) err('must provide text or fields', p);
        if (t !== undefined && (t.length > 3000 || t.length < 1)) err('must be between 1 and 3000 characters', `${p}/text/text`);
        if (Array.isArray(b.fields)) {
          if (b.fields.length > 10) err('no more than 10 items allowed', `${p}/fields`);
          b.fields.forEach((f, j) => {
            const ft = textOf(f);
            if (ft === undefined || ft.length > 2000) err('must be a text object of at most 2000 characters', `${p}/fields/${j}`);
          });
        }
        if (b.accessory !== undefined) checkElement(b.accessory, `${p}/accessory`, err);
        break;
      }
      case 'header': {
        const t = textOf(b.text);
        if (t === undefined || !isObj(b.text) || b.text.type !== 'plain_text') err('must be a plain_text object', `${p}/text`);
        else if (t.length > 150) err('must be less than 151 characters', `${p}/text/text`);
        break;
      }
      case 'actions': {
        if (!Array.isArray(b.elements) || b.elements.length === 0) { err('must provide elements', `${p}/elements`); break; }
        if (b.elements.length > 25) err('no more than 25 items allowed', `${p}/elements`);
        const actionIds = new Set<string>();
        b.elements.forEach((e, j) => {
          checkElement(e, `${p}/elements/${j}`, err);
          if (isObj(e) && typeof e.action_id === 'string') {
            if (actionIds.has(e.action_id)) err(`duplicate action_id: ${e.action_id}`, `${p}/elements/${j}/action_id`);
            actionIds.add(e.action_id);
          }
        });
        break;
      }
      case 'context': {
        if (!Array.isArray(b.elements) || b.elements.length === 0) err('must provide elements', `${p}/elements`);
        else if (b.elements.length > 10) err('no more than 10 items allowed', `${p}/elements`);
        break;
      }
      case 'input': {
        if (!isObj(b.label) || textOf(b.label) === undefined) err('must provide a label', `${p}/label`);
        if (!isObj(b.element)) err('must provide an element', `${p}/element`);
        else checkElement(b.element, `${p}/element`, err);
        break;
      }
      default:
        break;
    }
  });
  return errs;
}

function checkElement(e: unknown, ptr: string, err: (what: string, ptr: string) => void): void {
  if (!isObj(e) || typeof e.type !== 'string') return err('must provide an object with a string type', ptr);
  if (e.action_id !== undefined && (typeof e.action_id !== 'string' || e.action_id.length > 255)) err('must be a string of at most 255 characters', `${ptr}/action_id`);
  if (e.type === 'button') {
    const t = textOf(e.text);
    if (t === undefined) err('must provide text', `${ptr}/text`);
    else if (t.length > 75) err('must be less than 76 characters', `${ptr}/text/text`);
    if (e.value !== undefined && (typeof e.value !== 'string' || e.value.length > 2000)) err('must be a string of at most 2000 characters', `${ptr}/value`);
    if (e.style !== undefined && e.style !== 'primary' && e.style !== 'danger') err('must be primary or danger', `${ptr}/style`);
  }
}

/**
 * Validate a modal view for `views.open`/`views.update` (https://api.slack.com/reference/surfaces/views):
 * `type: 'modal'`, plain_text `title` ≤ 24 chars, ≤ 100 valid blocks, `private_metadata` ≤ 3,000,
 * `callback_id` ≤ 255. Returns problem strings, empty when valid.
 */
export function validateView(view: unknown): string[] {
  if (!isObj(view)) return ['[ERROR] view must be an object [json-pointer:/view]'];
  const errs: string[] = [];
  if (view.type !== 'modal' && view.type !== 'home') errs.push('[ERROR] must be modal or home [json-pointer:/view/type]');
  if (view.type === 'modal') {
    const t = textOf(view.title);
    if (t === undefined) errs.push('[ERROR] must provide a title [json-pointer:/view/title]');
    else if (t.length > 24) errs.push('[ERROR] must be less than 25 characters [json-pointer:/view/title/text]');
  }
  if (typeof view.private_metadata === 'string' && view.private_metadata.length > 3000) errs.push('[ERROR] must be at most 3000 characters [json-pointer:/view/private_metadata]');
  if (typeof view.callback_id === 'string' && view.callback_id.length > 255) errs.push('[ERROR] must be at most 255 characters [json-pointer:/view/callback_id]');
  return [...errs, ...validateBlocks(view.blocks ?? [], 100).map((e) => e.replace('json-pointer:/blocks', 'json-pointer:/view/blocks'))];
}

/** Render a button/select element as `[Label]`. */
function elementToText(e: unknown): string {
  if (!isObj(e)) return '';
  const label = textOf(e.text) ?? textOf(e.placeholder) ?? String(e.type);
  if (e.type === 'button') return `[${label}]`;
  if (typeof e.type === 'string' && e.type.endsWith('select')) return `[${label} ▾]`;
  return `[${label}]`;
}

function richTextToText(el: unknown): string {
  if (!isObj(el)) return '';
  if (typeof el.text === 'string') return el.text;
  if (el.type === 'user' && typeof el.user_id === 'string') return `<@${el.user_id}>`;
  if (Array.isArray(el.elements)) return el.elements.map(richTextToText).join(el.type === 'rich_text' ? '\n' : '');
  return '';
}

/**
 * Render blocks as plain-text lines, roughly as Slack displays them: headers as `# Title`, section text,
 * fields two per line (`a  |  b`, a field's own line breaks as spaces) with an accessory button appended, context as `(a · b)`, actions as
 * `[Approve] [Reject]`, dividers as `────`, inputs as `Label: ____`. Mentions are left as in the source
 * (`<@U…>`); the transcript resolves them.
 */
export function blocksToLines(blocks: readonly unknown[]): string[] {
  const lines: string[] = [];
  for (const b of blocks) {
    if (!isObj(b)) continue;
    switch (b.type) {
      case 'header':
        lines.push(`# ${textOf(b.text) ?? ''}`);
        break;
      case 'section': {
        const acc = b.accessory !== undefined ? ` ${elementToText(b.accessory)}` : '';
        const t = textOf(b.text);
        if (t !== undefined) lines.push(...`${t}${acc}`.split('\n'));
        if (Array.isArray(b.fields)) {
          const fields = b.fields.map((f) => (textOf(f) ?? '').replace(/\n+/g, ' '));
          for (let i = 0; i < fields.length; i += 2) lines.push(fields.slice(i, i + 2).join('  |  ') + (t === undefined && i === 0 ? acc : ''));
        }
        break;
      }
      case 'context':
        lines.push(`(${(Array.isArray(b.elements) ? b.elements : []).map((e) => textOf(e) ?? (isObj(e) && e.type === 'image' ? `[${String(e.alt_text ?? 'image')}]` : '')).join(' · ')})`);
        break;
      case 'actions':
        lines.push((Array.isArray(b.elements) ? b.elements : []).map(elementToText).join(' '));
        break;
      case 'divider':
        lines.push('────');
        break;
      case 'image':
        lines.push(`[image: ${String(b.alt_text ?? '')}]`);
        break;
      case 'input':
        lines.push(`${textOf(b.label) ?? ''}: ____`);
        break;
      case 'rich_text':
        lines.push(...richTextToText(b).split('\n'));
        break;
      case 'markdown':
        lines.push(...String(b.text ?? '').split('\n'));
        break;
      default:
        lines.push(`[${String(b.type)}]`);
    }
  }
  return lines;
}
