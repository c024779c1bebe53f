/**
 * Seeded randomness of a chaos run, so a failing run can be replayed with `--seed`. Built on pure-rand's
 * xoroshiro128+ (the generator fast-check uses; https://github.com/dubzzz/pure-rand). Each concern
 * (fault schedule, API fault draws, Slack answer losses) takes its own stream, so the schedule does not
 * shift when the number of API requests differs between runs. The seed replays the schedule (which
 * fault, which replica, when, for how long); the interleaving of the processes is up to the OS.
 */
import { xoroshiro128plus } from 'pure-rand/generator/xoroshiro128plus';
import { uniformFloat64 } from 'pure-rand/distribution/uniformFloat64';
import { uniformInt } from 'pure-rand/distribution/uniformInt';

/** A stream of seeded random numbers. */
export class Random {
  private readonly rng;

  /** @param seed a 32-bit integer; `stream` separates independent streams of the same run. */
  constructor(
    readonly seed: number,
    stream = 0,
  ) {
    this.rng = xoroshiro128plus((seed ^ Math.imul(stream + 1, 0x9e3779b1)) | 0);
  }

  /** A uniform number in [0, 1). */
  float(): number {
    return uniformFloat64(this.rng);
  }

  /** A uniform integer in [from, to] (both included). */
  int(from: number, to: number): number {
    return uniformInt(this.rng, from, to);
  }

  /** True with probability `p`. */
  chance(p: number): boolean {
    return this.float() < p;
  }

  /** A uniformly chosen element. @throws Error on an empty array. */
  pick<T>(items: readonly T[]): T {
    if (items.length === 0) throw new Error('Random.pick: no items');
    return items[this.int(0, items.length - 1)];
  }
}

/** A fresh seed (31 bits), printed by the runs so that they can be replayed. */
export function newSeed(): number {
  return Math.floor(Math.random() * 0x7fffffff);
}
