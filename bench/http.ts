// The HTTP rows, on the servers of bench/servers.ts: each route's scrape against a bare route sending
// the same body, and the http builtin's cost on a hello route, as requests per second of server CPU.
import { compareCpu, cpuFigures, type CpuTarget, report, type Servers, startServers } from './measure.js'
import type { ServerUrls } from './servers.js'
import { USER_VARS } from './vars.js'

const HTTP_ROUNDS = 21

/** A URL of the servers' process, with that process' CPU time. */
const on = ({ cpu }: Servers<ServerUrls>, url: string): CpuTarget => ({ url, cpu })

async function benchScrape (servers: Servers<ServerUrls>): Promise<void> {
  const { urls } = servers
  const document = await compareCpu(on(servers, urls.expvar), on(servers, urls.ceiling))
  report({
    name: `scrape /debug/vars (default vars + ${USER_VARS} user vars) vs a bare route sending the same body, requests per second of server CPU`,
    measured: cpuFigures(document),
    target: '≥ 0.80×',
    verdict: document.ratio >= 0.8 ? 'PASS' : 'MISS'
  })
  const metrics = await compareCpu(on(servers, urls.metrics), on(servers, urls.metricsCeiling))
  report({
    name: `scrape /metrics (default vars + ${USER_VARS} user vars, text 0.0.4) vs a bare route sending the same body, requests per second of server CPU`,
    measured: cpuFigures(metrics),
    target: '≥ 0.80×',
    verdict: metrics.ratio >= 0.8 ? 'PASS' : 'MISS'
  })
}

/**
 * A hello route with the http builtin against the same route without, as requests per second of
 * server CPU. The builtin costs under a microsecond of a ~21 µs request while single pairs of
 * 2.5 s loads spread ±10%: 21 pairs of 1 s loads bring the median's spread under the 3% margin.
 */
async function benchHttpBuiltin (servers: Servers<ServerUrls>): Promise<void> {
  const compared = await compareCpu(on(servers, servers.urls.helloHttp), on(servers, servers.urls.hello), HTTP_ROUNDS, 1)
  report({
    name: 'hello route with builtins: [\'http\'] vs without, requests per second of server CPU',
    measured: cpuFigures(compared),
    target: '≥ 0.97×',
    verdict: compared.ratio >= 0.97 ? 'PASS' : 'MISS'
  })
}

export async function benchHttp (): Promise<void> {
  const servers = await startServers<ServerUrls>('http')
  try {
    await benchScrape(servers)
    await benchHttpBuiltin(servers)
  } finally {
    servers.stop()
  }
}
