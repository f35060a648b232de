// `npm run bench`: the speed of fastify-expvar against the best alternatives, as ratios against
// baselines taken in the same run (absolute figures drift on shared machines; ratios hold).
// Loopback only, about ten minutes on 2 cores. Exits 0 even on a MISS: it is a report.
// This file is the table of rows, in the order they run; each area's rows live in its own file.
import { benchAggregator, benchCluster } from './clusters.js'
import { benchRedaction } from './cmdline.js'
import { benchBigDocument, benchLargeServer } from './document.js'
import { benchExposition } from './exposition.js'
import { benchHandles } from './handles.js'
import { benchHttp } from './http.js'
import { benchLatency } from './latency.js'
import { CONNECTIONS, LOAD_ROUNDS, LOAD_SECONDS, printTable } from './measure.js'
import { benchMemory } from './memory.js'

/** Each entry: the BENCH_ONLY names that select it, and what it runs (its rows report themselves). */
const TABLE: readonly { readonly groups: readonly string[], readonly run: () => void | Promise<void> }[] = [
  { groups: ['handles'], run: benchHandles }, // int.add(), map.add() vs prom-client's inc()
  { groups: ['large'], run: benchBigDocument }, // the 10,000-var document vs JSON.stringify, changed and unchanged
  { groups: ['memory'], run: benchMemory }, // heap growth over 100,000 scrapes of each format
  { groups: ['cmdline'], run: benchRedaction }, // redaction is linear in an argument's length
  { groups: ['exposition'], run: benchExposition }, // metrics() vs prom-client's register.metrics()
  { groups: ['http'], run: benchHttp }, // each route's scrape vs a bare route; the http builtin's cost
  { groups: ['large'], run: benchLargeServer }, // a hello route's p99 while the large document is scraped
  { groups: ['cluster'], run: benchCluster }, // the cluster scrape vs one worker's; cluster mode's idle cost
  { groups: ['cluster', 'aggregator'], run: benchAggregator }, // the cluster scrape vs prom-client's AggregatorRegistry
  { groups: ['latency'], run: benchLatency } // observe() vs prom-client's; the http builtin's timing vs fastify-metrics
]

console.log(`fastify-expvar bench: node ${process.version}, ${(await import('node:os')).availableParallelism()} cores, ${LOAD_ROUNDS} alternating pairs of ${LOAD_SECONDS} s loads per row (median ratio), ${CONNECTIONS} connections`)
// BENCH_ONLY=cluster,large (any of the groups above): only those rows.
const only = process.env.BENCH_ONLY?.split(',')
for (const { groups, run } of TABLE) {
  if (only === undefined || groups.some((group) => only.includes(group))) await run()
}
printTable()
