// The `http` var: requests received, in flight, responses by status class and every request's
// duration by method, route and status code, from one hook and the response's close.
import type { FastifyPluginAsync } from 'fastify'
import fp from 'fastify-plugin'
import type { ServerResponse } from 'node:http'
import { performance } from 'node:perf_hooks'
import type { ExpvarRouteOptions, Var } from '../../types/index.js'
import { type Families, field, keptFamily, type MetricFamily, type MetricSample, single } from '../families.js'
import { combine } from '../cluster/aggregate.js'
import { HistogramVar, PUBLISHED, RECORD, SERIES } from '../histogram.js'
import { histogramSamples, mergeHistograms } from '../histogram-samples.js'
import type { Series } from '../histogram-series.js'
import { DEFAULT_BUCKETS } from '../histogram-settings.js'
import { writeJSON } from '../json.js'
import { isPlainObject } from '../merge.js'
import { builtinSource, type Builtin, publishBuiltin } from './publish.js'

/** fastify-metrics' labels of its route histogram, in its order. */
const DURATION_LABELS = ['method', 'route', 'status_code'] as const
/** The route label of a request that matched no route: fastify-metrics' `invalidRouteGroup` default. */
const UNMATCHED_ROUTE = '__unknown__'

/** Plain counters, incremented by the hook and the listener: two additions per request. */
class HttpCounters {
  requests = 0
  aborted = 0
  // Indexed by status class: 1..5 for 1xx..5xx (Fastify allows no other code); 0 is unused.
  readonly #responses = new Float64Array(6)

  respond (statusCode: number): void {
    const responses = this.#responses
    const status = Math.trunc(statusCode / 100)
    responses[status] = (responses[status] as number) + 1
  }

  value (): Record<string, unknown> {
    const r = this.#responses
    const responded = (r[1] as number) + (r[2] as number) + (r[3] as number) + (r[4] as number) + (r[5] as number)
    return {
      requests: this.requests,
      inFlight: this.requests - responded - this.aborted,
      aborted: this.aborted,
      responses: { '1xx': r[1], '2xx': r[2], '3xx': r[3], '4xx': r[4], '5xx': r[5] }
    }
  }
}

const STATUS_CLASSES = ['1xx', '2xx', '3xx', '4xx', '5xx']

/** http in the exposition formats: counters, the responses by status class as a label, and fastify-metrics' route histogram. */
const httpFamilies: Families = (value, last) => [
  single('http_requests', 'counter', 'Requests received (http requests).', field(value, 'requests')),
  single('http_requests_in_flight', 'gauge', 'Requests received and not yet answered (http inFlight).', field(value, 'inFlight')),
  single('http_requests_aborted', 'counter', 'Requests whose client went away before the answer (http aborted).', field(value, 'aborted')),
  {
    name: 'http_responses',
    type: 'counter',
    help: 'Responses sent, by status class (http responses).',
    samples: STATUS_CLASSES.map((status): MetricSample => ({ labels: { class: status }, value: field(value, 'responses', status) as number }))
  },
  // The durations' value is the same object while no request was timed: the same family.
  keptFamily(last, 4, field(value, 'duration'), durationFamily)
]

function durationFamily (duration: unknown): MetricFamily {
  return {
    name: 'http_request_duration_seconds',
    type: 'histogram',
    help: 'Request duration in seconds, by method, route pattern and status code (http duration).',
    samples: histogramSamples(duration, DURATION_LABELS)
  }
}

// Set on each response in the hook, read when it closes: when the request came, and the route it
// is timed under, or null for a route that is not timed. On the response, so that the listener
// needs no closure per request.
const START = Symbol('fastify-expvar start')
const ROUTE = Symbol('fastify-expvar route')

interface TimedResponse extends ServerResponse {
  [START]: number
  [ROUTE]: string | null
}

/** The http var: the counters and the durations, its JSON with the buckets in bound order. */
class HttpVar implements Var {
  readonly source = builtinSource('http')
  constructor (private readonly counters: HttpCounters, private readonly durations: HistogramVar) {}

  value (): Record<string, unknown> {
    return { ...this.counters.value(), duration: this.durations.value() }
  }

  string (): string {
    return writeJSON(this.counters.value()).slice(0, -1) + ',"duration":' + this.durations.string() + '}'
  }
}

/** The route options of the plugin's own routes: `config.expvar: false`, so that they are not timed. */
export function untimed (route: ExpvarRouteOptions): ExpvarRouteOptions {
  return { ...route, config: { ...route.config, expvar: false } }
}

// Status codes as label values, made once each.
const STATUS_TEXT: string[] = []
function statusText (code: number): string {
  STATUS_TEXT[code] ??= String(code)
  return STATUS_TEXT[code]
}

/**
 * Publishes `http`. Wrapped with fastify-plugin so that its hook belongs to the context the expvar
 * plugin was registered in and reaches every route of it.
 */
const http: FastifyPluginAsync = fp(async function http (fastify) {
  const counters = new HttpCounters()
  const durations = new HistogramVar({ labels: [...DURATION_LABELS], buckets: DEFAULT_BUCKETS })
  durations[PUBLISHED]('http', fastify.log)
  // One callback hook, and one listener on the response: its 'close' comes once, after the answer
  // was sent or when the client went away first. No onResponse hook: with one, Fastify runs a hook
  // runner per request and, even without a logger, adds its own two listeners. A plain function, so no closure per request.
  // A request is timed from its onRequest hook to the close of a response that was sent whole.
  function closed (this: TimedResponse): void {
    if (!this.writableEnded) {
      counters.aborted++
      return
    }
    const status = this.statusCode
    counters.respond(status)
    const route = this[ROUTE]
    if (route !== null) durations[RECORD](seriesOf(route, this.req.method as string, status), (performance.now() - this[START]) / 1e3)
  }
  // Each route's series by method and status code, found in the histogram once: a request then
  // costs two Map lookups and an index, not a labels object and the histogram's checks of it.
  const series = new Map<string, Map<string, Series[]>>()
  function seriesOf (route: string, method: string, status: number): Series {
    let byMethod = series.get(route)
    if (byMethod === undefined) {
      byMethod = new Map()
      series.set(route, byMethod)
    }
    let byStatus = byMethod.get(method)
    if (byStatus === undefined) {
      byStatus = []
      byMethod.set(method, byStatus)
    }
    let found = byStatus[status]
    if (found === undefined) {
      found = durations[SERIES]([method, route, statusText(status)])
      byStatus[status] = found
    }
    return found
  }
  fastify.addHook('onRequest', (request, reply, done) => {
    counters.requests++
    const res = reply.raw as TimedResponse
    const { url, config } = request.routeOptions
    res[START] = performance.now()
    // Not declared on Fastify's route config type: a declared key would make its other keys excess properties.
    res[ROUTE] = (config as { expvar?: unknown }).expvar === false ? null : url ?? UNMATCHED_ROUTE
    res.on('close', closed)
    done()
  })
  publishBuiltin(fastify, httpBuiltin, new HttpVar(counters, durations))
}, { fastify: '5.x', name: 'fastify-expvar-http' })

/**
 * The cluster's http: requests, in flight and responses by class summed, the durations added per
 * bucket (their bounds are the builtin's own in every worker) and their quantiles estimated again.
 */
function aggregateHttp (values: readonly unknown[]): unknown {
  const objects = values.filter(isPlainObject)
  const counters = combine(objects.map(({ duration, ...rest }) => rest), 'sum') as Record<string, unknown>
  if (!objects.some((value) => 'duration' in value)) return counters
  // Every worker's durations have the builtin's own bounds: none is skipped.
  return { ...counters, duration: mergeHistograms(objects.map((value) => value.duration), DURATION_LABELS.length).value }
}

/** http in the table: its value, its families and its cluster rule. */
export const httpBuiltin: Builtin = { name: 'http', plugin: http, families: httpFamilies, aggregate: aggregateHttp }
