// The metrics route's spec: the vars in Prometheus text 0.0.4 or OpenMetrics 1.0.0, as the scraper asks.
import type { FastifyRequest } from 'fastify'
import Type from 'typebox'
import { expositionFormat, OPENMETRICS_CONTENT_TYPE, TEXT_CONTENT_TYPE } from '../formats/exposition/format.js'
import type { ScrapeRoute } from './scrape.js'

// Prometheus asks for OpenMetrics first; anything else (curl, an older scraper) gets text 0.0.4.
const OPENMETRICS = /application\/openmetrics-text/i

const Exposition = Type.String({ description: 'Every published var in Prometheus text 0.0.4, or OpenMetrics 1.0.0 when Accept names it; in cluster mode every worker\'s, labelled worker="<id>".' })

function asksOpenMetrics (request: FastifyRequest): boolean {
  return OPENMETRICS.test(request.headers.accept ?? '')
}

/** The metrics route at url, its names under namespace: its two formats are its own, with their own reuse. */
export function metricsRoute (prometheus: { url: string, namespace: string }): ScrapeRoute<string> {
  const { url, namespace } = prometheus
  const text = expositionFormat(false, namespace)
  const openmetrics = expositionFormat(true, namespace)
  return {
    url,
    format: (request) => asksOpenMetrics(request) ? openmetrics : text,
    contentType: (request) => asksOpenMetrics(request) ? OPENMETRICS_CONTENT_TYPE : TEXT_CONTENT_TYPE,
    schema: { response: { 200: Exposition } }
  }
}
