import { seededRandom } from '../sim/random.js'

export type DynamicsTopology = 'grid' | 'ring' | 'random' | 'star'

export const DYNAMICS_TOPOLOGIES: readonly DynamicsTopology[] = ['grid', 'ring', 'random', 'star']

/** Peers each tower starts knowing in the 'random' topology. */
const RANDOM_DEGREE = 4

/**
 * Who starts knowing whom, and where each tower sits in the pictures: a
 * `width` x `height` field, tower i at column i % width, row i / width.
 */
export interface Layout {
  topology: DynamicsTopology
  width: number
  height: number
  towers: number
  /** [from, to]: `from` starts with `to` in its peer table. */
  links: Array<[number, number]>
  /** Where messages are injected: the top-left corner (for star, the hub). */
  source: number
  /** The tower farthest from the source by starting links (the far corner on a grid). */
  far: number
}

/**
 * The prototype's test network: a grid where each tower knows its 8
 * neighbours; a ring; random (4 each); a star whose hub knows everyone
 * and everyone knows the hub. Non-grid topologies are drawn as a grid too.
 */
export function makeLayout (topology: DynamicsTopology, width: number, height: number, seed = 1): Layout {
  const towers = width * height
  const links: Array<[number, number]> = []
  if (topology === 'grid') {
    for (let y = 0; y < height; y++) {
      for (let x = 0; x < width; x++) {
        for (let dy = -1; dy <= 1; dy++) {
          for (let dx = -1; dx <= 1; dx++) {
            const nx = x + dx
            const ny = y + dy
            if ((dx !== 0 || dy !== 0) && nx >= 0 && nx < width && ny >= 0 && ny < height) links.push([y * width + x, ny * width + nx])
          }
        }
      }
    }
  } else if (topology === 'ring') {
    for (let i = 0; i < towers; i++) links.push([i, (i + 1) % towers], [(i + 1) % towers, i])
  } else if (topology === 'star') {
    for (let i = 1; i < towers; i++) links.push([0, i], [i, 0])
  } else {
    const random = seededRandom(seed)
    for (let i = 0; i < towers; i++) {
      for (let k = 0; k < RANDOM_DEGREE; k++) {
        const j = Math.floor(random() * towers)
        if (j !== i) links.push([i, j])
      }
    }
  }
  const unique = dedupe(links)
  return { topology, width, height, towers, links: unique, source: 0, far: farthest(towers, unique, 0) }
}

function dedupe (links: Array<[number, number]>): Array<[number, number]> {
  const seen = new Set<string>()
  return links.filter(([a, b]) => {
    const key = `${a} ${b}`
    if (a === b || seen.has(key)) return false
    seen.add(key)
    return true
  })
}

/** Breadth-first over links taken both ways (a dial makes both ends know each other); ties go to the highest index. */
function farthest (towers: number, links: ReadonlyArray<[number, number]>, from: number): number {
  const neighbours: number[][] = Array.from({ length: towers }, () => [])
  for (const [a, b] of links) {
    neighbours[a]?.push(b)
    neighbours[b]?.push(a)
  }
  const distance = new Int32Array(towers).fill(-1)
  distance[from] = 0
  const queue = [from]
  let far = from
  for (let head = 0; head < queue.length; head++) {
    const at = queue[head] as number
    const d = distance[at] as number
    if (d > (distance[far] as number) || (d === distance[far] && at > far)) far = at
    for (const next of neighbours[at] ?? []) {
      if (distance[next] === -1) {
        distance[next] = d + 1
        queue.push(next)
      }
    }
  }
  return far
}
