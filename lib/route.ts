// The GET (and HEAD) route that serves the document, with its TypeBox schemas.
import type { FastifyInstance } from 'fastify'
import Type, { type Static } from 'typebox'
import type { ExpvarRouteOptions } from '../types/index.js'
import type { Registry } from './registry.js'

// Long enough for hundreds of names, short enough that a query cannot make a scrape expensive.
export const MAX_VARS_QUERY = 4096

const Querystring = Type.Object({
  vars: Type.Optional(Type.String({
    minLength: 1,
    maxLength: MAX_VARS_QUERY,
    pattern: '^[^,]+(,[^,]+)*$',
    description: 'Comma-separated var names: only these are returned.'
  }))
})

// Arbitrary keys: a strict object schema would make the serializer drop the users' vars.
const Document = Type.Record(Type.String(), Type.Unknown(), {
  description: 'Every published var by name, in Go expvar\'s format.'
})

export function registerRoute (fastify: FastifyInstance, registry: Registry, url: string, route: ExpvarRouteOptions): void {
  fastify.route<{ Querystring: Static<typeof Querystring> }>({
    ...route,
    method: 'GET',
    url,
    schema: { ...route.schema, querystring: Querystring, response: { 200: Document } },
    handler: async function expvarHandler (request, reply) {
      const vars = request.query.vars
      const body = await registry.document({ vars: vars === undefined ? undefined : vars.split(','), log: request.log })
      // A string body with a JSON content type is sent as it is: the response schema documents it.
      return reply
        .header('content-type', 'application/json; charset=utf-8')
        .header('cache-control', 'no-store')
        .send(body)
    }
  })
}
