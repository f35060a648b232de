// The output's families from the readings' families: one family per name, and the readings left out because a name they need is taken.
import type { MetricFamily } from '../../families.js'
import type { Plan, Rendered } from './reuse.js'

/** A family of the output: the first reading's family that has its name, and where its lines come from. */
interface Written {
  readonly family: MetricFamily
  readonly owner: string
  /** The indexes of the readings' families whose lines it has, in order: the first one's header is its header. */
  readonly from: [reading: number, family: number][]
}

/** The first family of a reading whose names an earlier one took (or that takes a name twice), with the taker. */
function clashOf (mine: readonly Rendered[], taken: ReadonlyMap<string, Written>): [string, string] | undefined {
  const claimed = new Map<string, string>()
  for (const { family, owner, names } of mine) {
    for (const name of names) {
      const other = taken.get(name)
      const by = other === undefined ? claimed.get(name) : other.owner
      // The same var again (a cluster worker's reading) adds samples to its family; anything else clashes.
      if (by !== undefined && (by !== owner || (other !== undefined && other.family.type !== family.type))) {
        return [family.name, by.split('\0').filter(Boolean).join('.')]
      }
      claimed.set(name, owner)
    }
  }
  return undefined
}

/** The output's families from the readings' families, in order, and the readings left out because a name they need is taken. */
export function planOf (added: readonly (readonly Rendered[])[]): [Plan, [number, Error][]] {
  const families = new Map<string, Written>()
  // Every name a family's lines use, with the family that took it first.
  const taken = new Map<string, Written>()
  const clashes: [number, Error][] = []
  for (let i = 0; i < added.length; i++) {
    const mine = added[i] as readonly Rendered[]
    const clash = clashOf(mine, taken)
    if (clash !== undefined) {
      clashes.push([i, new Error(`its Prometheus name ${clash[0]} is taken by ${clash[1]}`)])
      continue
    }
    for (let j = 0; j < mine.length; j++) {
      const { family, owner, names } = mine[j] as Rendered
      let written = families.get(family.name)
      if (written === undefined) {
        written = { family, owner, from: [] }
        families.set(family.name, written)
        for (const name of names) taken.set(name, written)
      }
      written.from.push([i, j])
    }
  }
  return [[...families.values()].map((written) => written.from), clashes]
}
