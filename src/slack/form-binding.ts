/**
 * Binding of the request form to a view this bot opened, for this user, in this workspace, without
 * in-memory state (any replica may open the form and any other receive its `view_submission`).
 *
 * When the bot opens the form it puts into the view's `private_metadata` (which Slack returns unchanged
 * in `view_submission`, https://api.slack.com/reference/surfaces/views, at most 3,000 characters) a random
 * nonce, the user and team it opened it for, the time, and an HMAC-SHA256 of those under a key derived
 * (HKDF-SHA256, RFC 5869) from the bot token, which every replica has and no Slack client does. A
 * submission is believed only if the MAC verifies and names the submitting user and team, within
 * {@link FORM_TTL_MS}; the nonce (not the forgeable `view.id`) names the record, so the same form
 * submitted twice is one request.
 *
 * Chosen over recording each opened view in the cluster: no write before `views.open` (its `trigger_id`
 * expires 3 s after the click), nothing to collect for forms never submitted, one verification with no
 * API call. The cost: rotating the bot token invalidates forms open at that moment (the user is asked
 * to open the form again). Pure functions (the key is passed in).
 */
import { createHmac, hkdfSync, randomBytes, timingSafeEqual } from 'node:crypto';

/** How long (ms) a form stays valid after it was opened: 24 h. */
export const FORM_TTL_MS = 24 * 3600_000;

/** What the bot signs into a form it opens. */
export interface FormBinding {
  /** Random, 16 hex characters: names the record of this form's request. */
  nonce: string;
  /** Slack user id the form was opened for. */
  user: string;
  /** Slack team id (workspace) the form was opened in. */
  team: string;
  /** When it was opened, ms since the epoch. */
  issuedAt: number;
}

/** The MAC key for forms, derived from the bot token (32 bytes). */
export function formKey(botToken: string): Buffer {
  return Buffer.from(hkdfSync('sha256', botToken, 'dbupdate', 'request-form private_metadata v1', 32));
}

function mac(key: Buffer, callbackId: string, b: FormBinding): string {
  return createHmac('sha256', key).update(['v1', callbackId, b.nonce, b.user, b.team, String(b.issuedAt)].join('|')).digest('base64url');
}

/** The `private_metadata` of a form opened for `user` in `team` now (JSON, < 200 characters). */
export function signForm(key: Buffer, callbackId: string, user: string, team: string, now: number): string {
  const b: FormBinding = { nonce: randomBytes(8).toString('hex'), user, team, issuedAt: now };
  return JSON.stringify({ v: 1, n: b.nonce, u: b.user, t: b.team, i: b.issuedAt, m: mac(key, callbackId, b) });
}

/**
 * Check a submitted form's `private_metadata` against the submitter.
 * @returns the binding, or `{ why }` (for the audit log; the user gets a generic refusal) when the
 *   metadata is missing or malformed, its MAC does not verify, it names another user or team, or it expired.
 */
export function verifyForm(key: Buffer, callbackId: string, raw: unknown, submitter: { user: string; team: string | undefined; now: number }): FormBinding | { why: string } {
  if (typeof raw !== 'string' || raw.length === 0 || raw.length > 3000) return { why: 'no private_metadata of this bot' };
  let v: { v?: unknown; n?: unknown; u?: unknown; t?: unknown; i?: unknown; m?: unknown };
  try {
    v = JSON.parse(raw);
  } catch {
    return { why: 'private_metadata is not JSON' };
  }
  if (!v || typeof v !== 'object' || v.v !== 1 || typeof v.n !== 'string' || !/^[0-9a-f]{16}$/.test(v.n) || typeof v.u !== 'string' || typeof v.t !== 'string' || typeof v.i !== 'number' || typeof v.m !== 'string') {
    return { why: 'private_metadata is not of the form the bot writes' };
  }
  const b: FormBinding = { nonce: v.n, user: v.u, team: v.t, issuedAt: v.i };
  const want = Buffer.from(mac(key, callbackId, b));
  const got = Buffer.from(v.m);
  if (got.length !== want.length || !timingSafeEqual(got, want)) return { why: 'the MAC of private_metadata does not verify: not a form this bot opened' };
  if (b.user !== submitter.user) return { why: `the form was opened for ${b.user}, submitted by ${submitter.user}` };
  if (b.team !== submitter.team) return { why: `the form was opened in team ${b.team}, submitted from ${String(submitter.team)}` };
  if (submitter.now - b.issuedAt > FORM_TTL_MS || b.issuedAt - submitter.now > 60_000) return { why: `the form was opened at ${new Date(b.issuedAt).toISOString()}, more than 24 h ago (or in the future)` };
  return b;
}
