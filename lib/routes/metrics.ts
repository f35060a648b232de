// The GET (and HEAD) route that serves the vars in Prometheus text 0.0.4 or OpenMetrics 1.0.0, as the scraper asks.
import type { FastifyInstance } from 'fastify'
import Type from 'typebox'
import type { ExpvarRouteOptions } from '../../types/index.js'
import type { Cluster } from '../cluster/index.js'
import { OPENMETRICS_CONTENT_TYPE, TEXT_CONTENT_TYPE } from '../formats/exposition/writer.js'
import type { Registry } from '../registry.js'

// Prometheus asks for OpenMetrics first; anything else (curl, an older scraper) gets text 0.0.4.
const OPENMETRICS = /application\/openmetrics-text/i

const Exposition = Type.String({ description: 'Every published var in Prometheus text 0.0.4, or OpenMetrics 1.0.0 when Accept names it; in cluster mode every worker\'s, labelled worker="<id>".' })

export function registerMetricsRoute (fastify: FastifyInstance, registry: Registry, prometheus: { url: string, namespace: string }, route: ExpvarRouteOptions, cluster?: Cluster): void {
  const { url, namespace } = prometheus
  fastify.route({
    ...route,
    method: 'GET',
    url,
    schema: { ...route.schema, response: { 200: Exposition } },
    handler: async function metricsHandler (request, reply) {
      const openmetrics = OPENMETRICS.test(request.headers.accept ?? '')
      const body = cluster === undefined
        ? await registry.metrics({ openmetrics, namespace, log: request.log })
        : await cluster.metrics({ openmetrics, namespace, log: request.log })
      return reply
        .header('content-type', openmetrics ? OPENMETRICS_CONTENT_TYPE : TEXT_CONTENT_TYPE)
        .header('cache-control', 'no-store')
        .send(body)
    }
  })
}
