// The GET (and HEAD) route that serves the document, with its TypeBox schemas.
import { Readable } from 'node:stream'
import type { FastifyInstance } from 'fastify'
import Type, { type Static } from 'typebox'
import type { ExpvarRouteOptions } from '../../types/index.js'
import type { Cluster } from '../cluster/index.js'
import type { ExpvarDocument } from '../formats/expvar.js'
import { DOCUMENT, type Registry } from '../registry.js'

// Long enough for hundreds of names, short enough that a query cannot make a scrape expensive.
export const MAX_VARS_QUERY = 4096

const Vars = Type.String({
  minLength: 1,
  maxLength: MAX_VARS_QUERY,
  pattern: '^[^,]+(,[^,]+)*$',
  description: 'Comma-separated var names: only these are returned.'
})

const Querystring = Type.Object({ vars: Type.Optional(Vars) })

// In cluster mode only: one worker's own document. Digits only, read as a string: a number schema
// would let the query coercion read Infinity, 1e400 or 0x1 as numbers (and ask for a worker "Infinity").
const ClusterQuerystring = Type.Object({
  vars: Type.Optional(Vars),
  worker: Type.Optional(Type.String({ pattern: '^[0-9]{1,10}$', description: 'A cluster worker\'s id (digits): that worker\'s own document.' }))
})

// Arbitrary keys: a strict object schema would make the serializer drop the users' vars.
const Document = Type.Record(Type.String(), Type.Unknown(), {
  description: 'Every published var by name, in Go expvar\'s format.'
})

/**
 * A document longer than this is sent as its pieces' bytes instead of one string. A string or a
 * buffer above about 128 KiB is fresh memory at each scrape (V8's large objects, malloc's mmap
 * threshold), and touching fresh memory was the longest step of a 10,000-var scrape.
 */
const LARGE = 128 * 1024

/** The document's bytes as a stream, a piece at a time: no one buffer of the whole is made. */
function streamOf (document: ExpvarDocument): Readable {
  const bytes = document.bytes()
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

export function registerRoute (fastify: FastifyInstance, registry: Registry, url: string, route: ExpvarRouteOptions, cluster?: Cluster): void {
  fastify.route<{ Querystring: Static<typeof ClusterQuerystring> }>({
    ...route,
    method: 'GET',
    url,
    schema: { ...route.schema, querystring: cluster === undefined ? Querystring : ClusterQuerystring, response: { 200: Document } },
    handler: async function expvarHandler (request, reply) {
      const { vars: list, worker } = request.query
      const vars = list === undefined ? undefined : list.split(',')
      const body = cluster === undefined
        ? await registry[DOCUMENT]({ vars, log: request.log })
        : await cluster.document(vars, worker === undefined ? undefined : Number(worker))
      if (body === undefined) {
        return reply.code(404).send({ statusCode: 404, error: 'Not Found', message: `Worker ${String(worker)} did not answer: it is not a live worker with the plugin, or it took longer than the cluster timeout` })
      }
      reply.header('content-type', 'application/json; charset=utf-8').header('cache-control', 'no-store')
      // A string body with a JSON content type is sent as it is: the response schema documents it.
      if (typeof body === 'string') return reply.send(body)
      if (body.length <= LARGE) return reply.send(body.text())
      return reply.header('content-length', String(body.byteLength())).send(streamOf(body))
    }
  })
}
