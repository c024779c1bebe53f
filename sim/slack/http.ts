/**
 * HTTP helpers of the emulator: decoding Web API arguments the way Slack accepts them
 * (https://api.slack.com/web#posting_json) and writing plain responses.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { JSON_ARGS } from './methods.js';

/** Write a complete response with a body and headers. */
export function send(res: ServerResponse, status: number, contentType: string, body: string, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'Content-Type': contentType, 'Content-Length': Buffer.byteLength(body), ...headers });
  res.end(body);
}

/**
 * Decode Web API arguments from the query string and a form-encoded or JSON body. JSON-string
 * arguments (`blocks`, `view`, …) are parsed when they hold JSON. `token` is returned apart and only
 * honoured from the query or a form body (JSON bodies must use the Authorization header).
 */
export function parseArgs(req: IncomingMessage, url: URL, body: string): { args: Record<string, unknown>; tokenParam?: string } {
  const args: Record<string, unknown> = {};
  for (const [k, v] of url.searchParams) args[k] = v;
  const ct = (req.headers['content-type'] ?? '').toLowerCase();
  let jsonBody = false;
  if (ct.startsWith('application/json')) {
    jsonBody = true;
    try {
      Object.assign(args, JSON.parse(body || '{}') as object);
    } catch {
      /* invalid JSON: treated as no arguments, as Slack answers invalid_arguments/not_authed */
    }
  } else if (body) {
    for (const [k, v] of new URLSearchParams(body)) args[k] = v;
  }
  for (const k of JSON_ARGS) {
    const v = args[k];
    if (typeof v === 'string' && v.trim() !== '') {
      try {
        args[k] = JSON.parse(v) as unknown;
      } catch {
        /* left as a string: the method reports the format error */
      }
    }
  }
  const tokenParam = !jsonBody && typeof args.token === 'string' ? args.token : undefined;
  delete args.token;
  return { args, ...(tokenParam ? { tokenParam } : {}) };
}

