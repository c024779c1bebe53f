/**
 * What the Slack listeners need (`src/slack/listeners/`), in a module of its own at the bottom of
 * `slack/`: every listener and helper imports the type from here, so no listener imports another.
 */
import type { RequestDeps } from '../updates/request.js';
import type { BatchStore } from '../updates/batch-records.js';
import type { UserGroupResolver } from '../policy/usergroups.js';
import type { FollowUpOptions } from './followup.js';

/** What the listeners need: the request step's dependencies (`src/updates/request.ts`: clusters, records, config, log, metrics) and more. */
export interface HandlerDeps extends RequestDeps {
  /** Fleet requests (`DatabaseUpdateBatch`), unfenced: any replica's handlers write them. */
  batches: BatchStore;
  /** The default cluster of a channel (config `channelClusters`), else the home cluster. */
  channelCluster?: (channel: string) => string | undefined;
  now?: () => Date;
  /** Resolves user groups (`usergroups.users.list`, cached) for requester and approver rules. */
  groups?: UserGroupResolver;
  /** Scheduling of follow-ups, the work after an ack (`src/slack/followup.ts`; defaults there). */
  followUps?: FollowUpOptions;
  /**
   * How long (ms, counted from the envelope's arrival) the ack waits for the durable write of a command,
   * a click or a form (default `ACK_BUDGET_MS` of `./ack.ts`).
   */
  ackBudgetMs?: number;
  /** How long (ms from arrival) the ack waits for that write to start, if it waits (default `ACK_START_MS` of `./ack.ts`). */
  ackStartMs?: number;
}

/** The reply to a user: Slack mrkdwn text, shown ephemerally. */
export type Reply = string;
