// The one route factory: a GET (and HEAD) route that answers with one scrape, of the registry or
// of the cluster, in a format. The document route and the metrics route are two of its specs.
import { Readable } from 'node:stream'
import type { FastifyInstance, FastifyRequest, FastifySchema } from 'fastify'
import type { ExpvarLogger, ExpvarRouteOptions } from '../../types/index.js'
import type { CoreFormat } from '../format.js'

/** What a route scrapes: the registry, or in cluster mode the cluster (which also answers `worker`). */
interface Scraper {
  scrape<T>(format: CoreFormat<T>, options: { readonly vars?: readonly string[] | undefined, readonly log: ExpvarLogger, readonly worker?: number | undefined }): Promise<T | string | undefined>
}

/** A body made of pieces (Go's document): sent as one string while small, else as its pieces' bytes. */
interface Pieces {
  /** The length of text() in UTF-16 code units. */
  readonly length: number
  text (): string
  bytes (): readonly Buffer[]
  byteLength (): number
}

/** A value for every request, or one chosen by the request (the exposition by its Accept). */
type PerRequest<X> = X | ((request: FastifyRequest) => X)

export interface ScrapeRoute<T extends string | Pieces> {
  readonly url: string
  readonly format: PerRequest<CoreFormat<T>>
  readonly contentType: PerRequest<string>
  /** The route's schema; a route with a querystring schema takes `vars` (and `worker`) from the query. */
  readonly schema: FastifySchema
}

/**
 * A body longer than this is sent as its pieces' bytes instead of one string. A string or a
 * buffer above about 128 KiB is fresh memory at each scrape (V8's large objects, malloc's mmap
 * threshold), and touching fresh memory was the longest step of a 10,000-var scrape.
 */
const LARGE = 128 * 1024

/** A body's bytes as a stream, a piece at a time: no one buffer of the whole is made. */
function streamOf (body: Pieces): Readable {
  const bytes = body.bytes()
  let next = 0
  return new Readable({
    read () {
      while (next < bytes.length) {
        if (!this.push(bytes[next++])) return
      }
      this.push(null)
    }
  })
}

function chosen<X> (value: PerRequest<X>, request: FastifyRequest): X {
  return typeof value === 'function' ? (value as (request: FastifyRequest) => X)(request) : value
}

/** Registers the route of spec on fastify, answering from scraper. */
export function registerScrapeRoute<T extends string | Pieces> (fastify: FastifyInstance, scraper: Scraper, spec: ScrapeRoute<T>, route: ExpvarRouteOptions): void {
  const selects = spec.schema.querystring !== undefined
  fastify.route<{ Querystring: { vars?: string, worker?: string } }>({
    ...route,
    method: 'GET',
    url: spec.url,
    schema: { ...route.schema, ...spec.schema },
    handler: async function scrapeHandler (request, reply) {
      const { vars: list, worker } = selects ? request.query : {}
      const vars = list === undefined ? undefined : list.split(',')
      const body = await scraper.scrape(chosen(spec.format, request), { vars, log: request.log, worker: worker === undefined ? undefined : Number(worker) })
      if (body === undefined) {
        return reply.code(404).send({ statusCode: 404, error: 'Not Found', message: `Worker ${String(worker)} did not answer: it is not a live worker with the plugin, or it took longer than the cluster timeout` })
      }
      reply.header('content-type', chosen(spec.contentType, request)).header('cache-control', 'no-store')
      // A string body is sent as it is, whatever the content type: the response schema documents it.
      if (typeof body === 'string') return reply.send(body)
      if (body.length <= LARGE) return reply.send(body.text())
      return reply.header('content-length', String(body.byteLength())).send(streamOf(body))
    }
  })
}
