// The `http` var: requests received, in flight, and responses by status class, counted by one hook and the response's close.
import type { FastifyPluginAsync } from 'fastify'
import fp from 'fastify-plugin'
import type { ServerResponse } from 'node:http'
import { type Families, field, type MetricSample, single } from '../families.js'
import { combine } from '../cluster/aggregate.js'
import { type Builtin, publishBuiltin } from './publish.js'

/** Plain counters, incremented by the hook and the listener: two additions per request. */
export class HttpCounters {
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

/** http in the exposition formats: counters, the responses by status class as a label. */
export const httpFamilies: Families = (value) => [
  single('http_requests', 'counter', 'Requests received (http requests).', field(value, 'requests')),
  single('http_requests_in_flight', 'gauge', 'Requests received and not yet answered (http inFlight).', field(value, 'inFlight')),
  single('http_requests_aborted', 'counter', 'Requests whose client went away before the answer (http aborted).', field(value, 'aborted')),
  {
    name: 'http_responses',
    type: 'counter',
    help: 'Responses sent, by status class (http responses).',
    samples: STATUS_CLASSES.map((status): MetricSample => ({ labels: { class: status }, value: field(value, 'responses', status) as number }))
  }
]

/**
 * Publishes `http`. Wrapped with fastify-plugin so that its hook belongs to the context the expvar
 * plugin was registered in and reaches every route of it.
 */
export const http: FastifyPluginAsync = fp(async function http (fastify) {
  const counters = new HttpCounters()
  // One callback hook, and one listener on the response: its 'close' comes once, after the answer
  // was sent or when the client went away first. No onResponse hook: with one, Fastify runs a hook
  // runner per request and, even without a logger, adds its own two listeners. A plain function, so no closure per request.
  function closed (this: ServerResponse): void {
    if (this.writableEnded) counters.respond(this.statusCode)
    else counters.aborted++
  }
  fastify.addHook('onRequest', (_request, reply, done) => {
    counters.requests++
    reply.raw.on('close', closed)
    done()
  })
  publishBuiltin(fastify, httpBuiltin, () => counters.value())
}, { fastify: '5.x', name: 'fastify-expvar-http' })

/** http in the table: requests, in flight and responses by class; the cluster's are the sums. */
export const httpBuiltin: Builtin = { name: 'http', plugin: http, families: httpFamilies, aggregate: (values) => combine(values, 'sum') }
