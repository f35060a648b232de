// The benchmarks' var set: Go's kinds in equal shares, as a service would publish them.
import type { Registry } from '../index.js'

export const MAP_KEYS = 20
/** The user vars of the scrape, memory and soak runs. */
export const USER_VARS = 100
/** The large document's var count. */
export const BIG_VARS = 10_000

/**
 * Publishes `count` vars on `registry`, a quarter each of Ints, Maps of 20 keys, Funcs and
 * strings, with names and values that look like a service's. Returns a function that changes
 * every Int, Map entry and String, so that a benchmark can make sure nothing is left unchanged.
 */
export function publishVars (registry: Registry, count: number): () => void {
  const changes: (() => void)[] = []
  for (let i = 0; i < count; i++) {
    const name = `svc.${i.toString().padStart(5, '0')}`
    switch (i % 4) {
      case 0: {
        const int = registry.int(`${name}.requests`)
        int.set(i * 1_000_003)
        changes.push(() => int.add(1))
        break
      }
      case 1: {
        const map = registry.map(`${name}.status`)
        for (let k = 0; k < MAP_KEYS; k++) map.add(`route_${k}`, i * k + 1)
        changes.push(() => { for (let k = 0; k < MAP_KEYS; k++) map.add(`route_${k}`, 1) })
        break
      }
      case 2: {
        const started = 1_700_000_000_000 + i
        registry.func(`${name}.pool`, () => ({ idle: i % 7, busy: i % 5, max: 32, since: started, healthy: true }))
        break
      }
      default: {
        const version = registry.string(`${name}.version`)
        let build = i
        version.set(`v1.${i}.0 <build ${build}> & "stable"`)
        changes.push(() => version.set(`v1.${i}.0 <build ${++build}> & "stable"`))
      }
    }
  }
  return () => { for (const change of changes) change() }
}
