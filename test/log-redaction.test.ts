/**
 * Logs never contain tokens or signing secrets: `createLogger` (src/log.ts) writing to an in-memory
 * stream, with secrets at the nestings the code uses.
 */
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger, secretScrubber } from '../src/log.js';

function capture(secrets: string[] = []) {
  const lines: string[] = [];
  const dest = new Writable({
    write(chunk, _enc, cb) {
      lines.push(String(chunk));
      cb();
    },
  });
  return { log: createLogger('debug', dest, secrets), text: () => lines.join('') };
}

// Not token-shaped, not passed to the logger: only REDACT_PATHS can hide these.
const BOT = 'bot-secret-value-1111';
const APPT = 'app-secret-value-2222';
const SIGN = 'signing-secret-value-3333';

describe('redaction by path (REDACT_PATHS)', () => {
  const cases: Array<[string, Record<string, unknown>]> = [
    ['{ token }', { token: BOT }],
    ['{ slack: { token } }', { slack: { token: BOT } }],
    ['{ slack: { botToken, appToken, signingSecret } }', { slack: { botToken: BOT, appToken: APPT, signingSecret: SIGN } }],
    ['{ opts: { slack: { botToken, appToken, signingSecret } } }', { opts: { slack: { botToken: BOT, appToken: APPT, signingSecret: SIGN } } }],
    ['{ botToken, appToken, signingSecret }', { botToken: BOT, appToken: APPT, signingSecret: SIGN }],
    ['{ headers: { authorization } }', { headers: { authorization: `Bearer ${BOT}` } }],
    ['{ req: { headers: { authorization } } }', { req: { headers: { authorization: `Bearer ${BOT}` } } }],
    ['{ err: { config: { headers: { Authorization } } } }', { err: { config: { headers: { Authorization: `Bearer ${BOT}` } } } }],
    ['{ err: { request: { headers: { authorization } } } }', { err: { request: { headers: { authorization: `Bearer ${BOT}` } } } }],
    ['{ authorization }', { authorization: `Bearer ${BOT}` }],
  ];
  for (const [name, obj] of cases) {
    it(`hides ${name}`, () => {
      const { log, text } = capture();
      log.info(obj, 'something happened');
      const out = text();
      expect(out).toContain('something happened');
      expect(out).toContain('[Redacted]');
      for (const s of [BOT, APPT, SIGN]) expect(out).not.toContain(s);
    });
  }

  it('keeps redacting in child loggers (the bot logs through log.child)', () => {
    const { log, text } = capture();
    log.child({ replica: 'r1' }).warn({ slack: { botToken: BOT } }, 'child');
    expect(text()).toContain('"replica":"r1"');
    expect(text()).not.toContain(BOT);
  });
});

describe('redaction by value (streamWrite scrubber)', () => {
  it('hides Slack-token-shaped strings anywhere, even inside messages and unknown fields', () => {
    const { log, text } = capture();
    const xoxb = 'xoxb-123-456-abcdefABCDEF';
    const xapp = 'xapp-1-A123-789-abcdef0123';
    log.error({ detail: { deep: { deeper: { value: xoxb } } } }, `failed with token ${xapp}`);
    log.info(`plain ${xoxb}`);
    const out = text();
    expect(out).not.toContain(xoxb);
    expect(out).not.toContain(xapp);
    expect(out).toContain('failed with token [Redacted]');
  });

  it('hides the known secret values (env or passed in), including in error stacks', () => {
    const { log, text } = capture([SIGN]);
    log.error({ err: new Error(`signature check with ${SIGN} failed`) }, `secret is ${SIGN}`);
    log.info({ somewhere: { unexpected: SIGN } }, 'x');
    expect(text()).not.toContain(SIGN);
  });

  it('reads SLACK_SIGNING_SECRET and the tokens from the environment', () => {
    const old = process.env.SLACK_SIGNING_SECRET;
    process.env.SLACK_SIGNING_SECRET = 'env-signing-secret-4444';
    try {
      const { log, text } = capture();
      log.info({ odd: { place: 'env-signing-secret-4444' } }, 'x');
      expect(text()).not.toContain('env-signing-secret-4444');
    } finally {
      if (old === undefined) delete process.env.SLACK_SIGNING_SECRET;
      else process.env.SLACK_SIGNING_SECRET = old;
    }
  });

  it('ignores values too short to be secrets, so ordinary text survives', () => {
    expect(secretScrubber(['abc'])('abc def')).toBe('abc def');
  });

  it('audit lines keep who/what/when', () => {
    const { log, text } = capture();
    log.info({ audit: 'approve', user: 'U_BOB', record: 'orders-1a2b3' }, 'approval');
    const line = JSON.parse(text().trim()) as Record<string, unknown>;
    expect(line).toMatchObject({ audit: 'approve', user: 'U_BOB', record: 'orders-1a2b3', msg: 'approval' });
    expect(typeof line.time).toBe('number');
  });
});
