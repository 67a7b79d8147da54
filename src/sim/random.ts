import { uniformFloat64 } from 'pure-rand/distribution/uniformFloat64'
import { xoroshiro128plus } from 'pure-rand/generator/xoroshiro128plus'

/** Numbers in [0, 1) from a seed: the same seed, the same sequence (pure-rand's xoroshiro128+). */
export function seededRandom (seed: number): () => number {
  const generator = xoroshiro128plus(seed)
  return () => uniformFloat64(generator)
}

/** A whole number in [0, n). */
export function pick (random: () => number, n: number): number {
  return Math.floor(random() * n)
}

/** An exponentially distributed delay with this mean (a Poisson process's gaps). */
export function exponential (random: () => number, mean: number): number {
  return -Math.log(1 - random()) * mean
}
