// The document route's spec: Go's document at the plugin's url, with its TypeBox schemas.
import Type from 'typebox'
import { ExpvarFormat } from '../formats/expvar.js'
import type { ScrapeRoute } from './scrape.js'
import type { ExpvarDocument } from '../formats/expvar.js'

// Long enough for hundreds of names, short enough that a query cannot make a scrape expensive.
const MAX_VARS_QUERY = 4096

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

/** The document route at url; `cluster` adds the `worker` query. Its format is its own, with its own reuse. */
export function documentRoute (url: string, cluster: boolean): ScrapeRoute<ExpvarDocument> {
  return {
    url,
    format: new ExpvarFormat(),
    contentType: 'application/json; charset=utf-8',
    schema: { querystring: cluster ? ClusterQuerystring : Querystring, response: { 200: Document } }
  }
}
