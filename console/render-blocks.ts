/**
 * Block Kit to HTML, pure: the blocks of messages and of modals, as Slack draws them
 * (https://api.slack.com/reference/block-kit/blocks). Interactive elements carry `data-*` attributes
 * (`data-action-id`, `data-block-id`, `data-value`) that the page's script turns into clicks and view
 * submissions; every text is escaped (see `render-mrkdwn.ts`). Block types this file does not draw fall
 * back to the emulator's own plain-text rendering (`blocksToLines` of `sim/slack/blocks.ts`).
 */
import { blocksToLines } from '../sim/slack/blocks.js';
import { escapeHtml, mrkdwnToHtml, plainToHtml, type MentionContext } from './render-mrkdwn.js';

type Obj = Record<string, unknown>;

function isObj(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** A Block Kit text object (`{type: 'mrkdwn'|'plain_text', text}`) as HTML; '' if not one. */
export function textObject(t: unknown, ctx: MentionContext): string {
  if (!isObj(t) || typeof t.text !== 'string') return '';
  return t.type === 'mrkdwn' ? mrkdwnToHtml(t.text, ctx) : plainToHtml(t.text);
}

/** Attribute string `data-…` for an interactive element in block `blockId`. */
function dataAttrs(el: Obj, blockId: string): string {
  const attrs = [`data-action-id="${escapeHtml(String(el.action_id ?? ''))}"`, `data-block-id="${escapeHtml(blockId)}"`];
  if (typeof el.value === 'string') attrs.push(`data-value="${escapeHtml(el.value)}"`);
  return attrs.join(' ');
}

/** A button, overflow or select of a message; only buttons are clickable in the console. */
function element(el: unknown, blockId: string, ctx: MentionContext): string {
  if (!isObj(el)) return '';
  if (el.type === 'button') {
    const style = el.style === 'primary' || el.style === 'danger' ? ` btn-${el.style}` : '';
    return `<button type="button" class="btn${style}" ${dataAttrs(el, blockId)}>${textObject(el.text, ctx)}</button>`;
  }
  if (el.type === 'image') return `<span class="img-alt">[${escapeHtml(String(el.alt_text ?? 'image'))}]</span>`;
  const label = textObject(el.text, ctx) || textObject(el.placeholder, ctx) || escapeHtml(String(el.type));
  return `<span class="btn btn-disabled" title="not supported in the console">${label}</span>`;
}

/** An input block's element as a form control (`plain_text_input`, `static_select`, `channels_select`) with its initial value, named by ids. */
function inputControl(el: unknown, blockId: string, ctx: MentionContext): string {
  if (!isObj(el)) return '';
  const attrs = dataAttrs(el, blockId);
  const type = escapeHtml(String(el.type));
  const placeholder = isObj(el.placeholder) && typeof el.placeholder.text === 'string' ? ` placeholder="${escapeHtml(el.placeholder.text)}"` : '';
  const max = typeof el.max_length === 'number' ? ` maxlength="${el.max_length}"` : '';
  const initial = typeof el.initial_value === 'string' ? el.initial_value : '';
  if (el.type === 'plain_text_input') {
    return el.multiline === true
      ? `<textarea class="input" data-type="${type}" ${attrs}${placeholder}${max}>${escapeHtml(initial)}</textarea>`
      : `<input class="input" type="text" data-type="${type}" ${attrs}${placeholder}${max} value="${escapeHtml(initial)}">`;
  }
  if (el.type === 'static_select' && Array.isArray(el.options)) {
    const initial = isObj(el.initial_option) ? String(el.initial_option.value ?? '') : undefined;
    const opts = el.options
      .filter(isObj)
      .map((o) => `<option value="${escapeHtml(String(o.value ?? ''))}"${String(o.value ?? '') === initial ? ' selected' : ''}>${textObject(o.text, ctx)}</option>`)
      .join('');
    return `<select class="input" data-type="${type}" ${attrs}><option value=""></option>${opts}</select>`;
  }
  if (el.type === 'channels_select') {
    // Slack lists the workspace's public channels; the console has its own channel (ctx.channels).
    const initial = typeof el.initial_channel === 'string' ? el.initial_channel : undefined;
    const channels = [...(ctx.channels ?? [])];
    if (initial && !channels.some((c) => c.id === initial)) channels.push({ id: initial, name: initial });
    const opts = channels.map((c) => `<option value="${escapeHtml(c.id)}"${c.id === initial ? ' selected' : ''}>#${escapeHtml(c.name)}</option>`).join('');
    return `<select class="input" data-type="${type}" ${attrs}><option value=""></option>${opts}</select>`;
  }
  return `<span class="img-alt">[${type} not supported in the console]</span>`;
}

/** One block as HTML. */
function block(b: unknown, ctx: MentionContext): string {
  if (!isObj(b)) return '';
  const blockId = typeof b.block_id === 'string' ? b.block_id : '';
  switch (b.type) {
    case 'header':
      return `<div class="blk-header">${textObject(b.text, ctx)}</div>`;
    case 'section': {
      const text = b.text !== undefined ? `<div class="blk-text">${textObject(b.text, ctx)}</div>` : '';
      const fields = Array.isArray(b.fields) ? `<div class="blk-fields">${b.fields.map((f) => `<div class="blk-field">${textObject(f, ctx)}</div>`).join('')}</div>` : '';
      const acc = b.accessory !== undefined ? `<div class="blk-accessory">${element(b.accessory, blockId, ctx)}</div>` : '';
      return `<div class="blk-section"><div class="blk-main">${text}${fields}</div>${acc}</div>`;
    }
    case 'context': {
      const els = Array.isArray(b.elements) ? b.elements : [];
      return `<div class="blk-context">${els.map((e) => (isObj(e) && e.type === 'image' ? element(e, blockId, ctx) : `<span>${textObject(e, ctx)}</span>`)).join('')}</div>`;
    }
    case 'actions': {
      const els = Array.isArray(b.elements) ? b.elements : [];
      return `<div class="blk-actions">${els.map((e) => element(e, blockId, ctx)).join('')}</div>`;
    }
    case 'divider':
      return '<hr class="blk-divider">';
    case 'image':
      return `<div class="img-alt">[image: ${escapeHtml(String(b.alt_text ?? ''))}]</div>`;
    case 'input': {
      const hint = isObj(b.hint) ? `<div class="blk-hint">${textObject(b.hint, ctx)}</div>` : '';
      const optional = b.optional === true ? ' <span class="optional">(optional)</span>' : '';
      return `<label class="blk-input"><div class="blk-label">${textObject(b.label, ctx)}${optional}</div>${inputControl(b.element, blockId, ctx)}${hint}<div class="blk-error" data-error-for="${escapeHtml(blockId)}"></div></label>`;
    }
    default:
      return `<div class="blk-text">${blocksToLines([b]).map((l) => mrkdwnToHtml(l, ctx)).join('<br>')}</div>`;
  }
}

/** Blocks as HTML, in order. */
export function blocksToHtml(blocks: readonly unknown[], ctx: MentionContext): string {
  return blocks.map((b) => block(b, ctx)).join('');
}
