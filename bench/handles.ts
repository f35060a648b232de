// The handles' rows: an Int's and a Map's add() against prom-client's Counter.inc().
import { Counter, Registry as PromRegistry } from 'prom-client'
import { Registry } from './expvar.js'
import { compareLoops, count, ratio, report } from './measure.js'

const HANDLE_CALLS = 5_000_000
const MAP_KEYS = 50

function benchIntAdd (): void {
  const int = new Registry().int('requests')
  const counter = new Counter({ name: 'requests', help: 'requests', registers: [new PromRegistry()] })
  const { ours, theirs } = compareLoops(HANDLE_CALLS,
    (n) => { for (let i = 0; i < n; i++) int.add(1) },
    (n) => { for (let i = 0; i < n; i++) counter.inc() })
  const x = ours / theirs
  report({ name: 'int.add(1) vs prom-client Counter.inc()', measured: `${ratio(x)} (${count(ours)} vs ${count(theirs)} ops/s)`, target: '≥ 1.00×', verdict: x >= 1 ? 'PASS' : 'MISS' })
}

function benchMapAdd (): void {
  const keys = Array.from({ length: MAP_KEYS }, (_, i) => `/route/${i}`)
  const map = new Registry().map('requests')
  const counter = new Counter({ name: 'requests', help: 'requests', labelNames: ['route'], registers: [new PromRegistry()] })
  const { ours, theirs } = compareLoops(HANDLE_CALLS / 5,
    (n) => { for (let i = 0; i < n; i++) map.add(keys[i % MAP_KEYS] as string, 1) },
    (n) => { for (let i = 0; i < n; i++) counter.inc({ route: keys[i % MAP_KEYS] as string }) })
  const x = ours / theirs
  report({ name: `map.add(key, 1) over ${MAP_KEYS} keys vs prom-client inc({ route })`, measured: `${ratio(x)} (${count(ours)} vs ${count(theirs)} ops/s)`, target: '≥ 3.00×', verdict: x >= 3 ? 'PASS' : 'MISS' })
}

export function benchHandles (): void {
  benchIntAdd()
  benchMapAdd()
}
