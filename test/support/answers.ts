/**
 * The answers a user got to a slash command: the ack's text when the bot answered in the ack (the answer
 * was known within the ack budget, `src/slack/ack.ts`), then what came through `response_url`. The ack's
 * "still checking" note of a late answer is not an answer and is left out.
 */
export const LATE_NOTE = /busy or slower than usual/;

/** Texts of the answers to `cmd` (as `SlackEmulator.typeCommand` returns it), in order. */
export function answersOf(cmd: { ackPayload?: unknown; responses: () => unknown[] }): string[] {
  const ack = (cmd.ackPayload as { text?: unknown } | undefined)?.text;
  return [...(typeof ack === 'string' && !LATE_NOTE.test(ack) ? [ack] : []), ...cmd.responses().map((b) => String((b as { text?: unknown }).text ?? ''))];
}
