/**
 * Configuration of the scheduled drift reports and of the backup before a major update (issue #19 items 2
 * and 3), part of the bot's zod configuration (`./config.ts`). Pure.
 *
 * ```yaml
 * reports:                      # scheduled version-drift reports (default none)
 *   - cron: "0 9 * * mon"       # node-cron, 5 or 6 fields
 *     timezone: Europe/Berlin   # IANA (default UTC)
 *     channel: C0123ABCD        # Slack channel id it is posted in
 *     namespaces: [payments]    # default: every namespace
 *     engines: [mysql]          # default: every engine
 * backup:
 *   beforeMajor: ifConfigured   # required | ifConfigured | off
 *   timeout: 30m                # longest wait for the BackupSession
 * ```
 */
import { z } from 'zod';
import parseDurationLib from 'parse-duration';
import { ENGINES, findEngine } from '../engines/table.js';
import { cronProblem, isTimeZone } from './windows.js';

const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const SLACK_CHANNEL_ID = /^[CGD][A-Z0-9_]+$/;

/** One scheduled drift report. */
export const ReportSchema = z
  .object({
    cron: z.string().superRefine((s, ctx) => {
      const problem = cronProblem(s);
      if (problem) ctx.addIssue({ code: 'custom', message: `must be a cron expression such as "0 9 * * mon" (${problem})` });
    }),
    timezone: z.string().refine(isTimeZone, { message: 'must be an IANA time zone such as Europe/Berlin or UTC' }).default('UTC'),
    channel: z.string().regex(SLACK_CHANNEL_ID, 'must be a Slack channel id such as C0123ABCD'),
    namespaces: z.array(z.string().max(63).regex(DNS1123_LABEL, 'must be a DNS-1123 label (lower-case letters, digits, -)')).default([]),
    engines: z
      .array(z.string().refine((s) => findEngine(s) !== undefined, { message: `must be a KubeDB engine: ${ENGINES.map((e) => e.name).join(', ')}` }).transform((s) => findEngine(s)!.name))
      .default([]),
  })
  .strict();

/** A scheduled drift report as validated. */
export type ReportSpec = z.infer<typeof ReportSchema>;

/** What the pipeline does about a backup before a major update. */
export const BACKUP_MODES = ['required', 'ifConfigured', 'off'] as const;
/** One of {@link BACKUP_MODES}. */
export type BackupMode = (typeof BACKUP_MODES)[number];

/** The `backup` section: `beforeMajor` (default `ifConfigured`) and `timeout` (default 30m). */
export const BackupSchema = z
  .object({
    /**
     * `required`: preflight refuses a major update of a database no KubeStash `BackupConfiguration`
     * targets; `ifConfigured`: back up where one does; `off`: never.
     */
    beforeMajor: z.enum(BACKUP_MODES).default('ifConfigured'),
    /** Longest wait for the BackupSession to succeed; past it the update fails before anything is paused. */
    timeout: z
      .string()
      .refine((s) => /[a-z]/i.test(s) && Number(parseDurationLib(s)) > 0, { message: 'must be a duration such as 30s, 5m, 24h' })
      .default('30m'),
  })
  .strict();

/** The `backup` section as validated. */
export type BackupPolicy = z.infer<typeof BackupSchema>;
