// The types of require('fastify-expvar') (index.cjs): the plugin, carrying every export of the ES module.
import type * as ns from './dist/index.js' with { 'resolution-mode': 'import' }

declare const fastifyExpvar: typeof ns.default & typeof ns
export = fastifyExpvar
