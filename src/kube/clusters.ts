/**
 * The clusters one bot manages. The *home* cluster is where the bot runs: its `DatabaseUpdate` records
 * and its Lease live there. Databases may live in any cluster of the set, named in commands with
 * `-c/--cluster` or by a channel's default (config `channelClusters`).
 */
import type { Kube } from './client.js';

/** A named set of clusters with one home. */
export class ClusterSet {
  private readonly byName = new Map<string, Kube>();

  /** @param home the cluster the bot runs in; @param others more clusters (distinct names). @throws Error on a duplicate name. */
  constructor(
    readonly home: Kube,
    others: Kube[] = [],
  ) {
    for (const k of [home, ...others]) {
      if (this.byName.has(k.name)) throw new Error(`cluster "${k.name}" is configured twice`);
      this.byName.set(k.name, k);
    }
  }

  /** The cluster named `name`, or undefined. */
  get(name: string): Kube | undefined {
    return this.byName.get(name);
  }

  /** The cluster of a record's database. @throws Error naming the known clusters when it is not configured. */
  require(name: string): Kube {
    const k = this.byName.get(name);
    if (!k) throw new Error(`cluster "${name}" is not configured (known: ${this.names().join(', ')})`);
    return k;
  }

  /** Names, home first. */
  names(): string[] {
    return [...this.byName.keys()];
  }
}
