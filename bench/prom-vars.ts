// The benchmarks' var set as prom-client users would write it (bench/vars.ts' publishVars() on our side).
import { collectDefaultMetrics, Counter, Gauge, Registry } from 'prom-client'
import { MAP_KEYS } from './vars.js'

/**
 * A prom-client registry with what publishVars() publishes: a Counter per Int, a labelled Counter
 * per Map, a Gauge per numeric field of a Func's value (strings are not exposed by either side),
 * and prom-client's default metrics. `register` is prom-client's global one in a cluster worker,
 * the registry AggregatorRegistry asks.
 */
export function promClientVars (count: number, register = new Registry()): Registry {
  collectDefaultMetrics({ register })
  for (let i = 0; i < count; i++) {
    const name = `svc_${i.toString().padStart(5, '0')}`
    if (i % 4 === 0) {
      new Counter({ name: `${name}_requests`, help: 'requests', registers: [register] }).inc(i * 1_000_003)
    } else if (i % 4 === 1) {
      const counter = new Counter({ name: `${name}_status`, help: 'status', labelNames: ['key'], registers: [register] })
      for (let k = 0; k < MAP_KEYS; k++) counter.inc({ key: `route_${k}` }, i * k + 1)
    } else if (i % 4 === 2) {
      const started = 1_700_000_000_000 + i
      // Collected at every scrape, as the Func is pulled at every scrape.
      const fields = { idle: () => i % 7, busy: () => i % 5, max: () => 32, since: () => started, healthy: () => 1 }
      for (const [field, read] of Object.entries(fields)) {
        register.registerMetric(new Gauge({ name: `${name}_pool_${field}`, help: field, registers: [], collect () { this.set(read()) } }))
      }
    }
  }
  return register
}
