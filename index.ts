// fastify-expvar: Go's expvar for Fastify. Wiring only: options -> registry -> builtins -> app files -> route.
import type { FastifyPluginAsync } from 'fastify'
import fp from 'fastify-plugin'
import type { FastifyExpvarOptions } from './types/index.js'
import { FST_EXPVAR_ALREADY_REGISTERED } from './lib/errors.js'
import { resolveOptions } from './lib/options.js'
import { registerRoute } from './lib/route.js'
import { builtinNames, registerBuiltins } from './lib/builtins/index.js'
import { loadAppFolders } from './lib/discovery.js'
import { registerUi } from './lib/routes/ui.js'
import { joinCluster } from './lib/cluster/index.js'

const plugin: FastifyPluginAsync<FastifyExpvarOptions> = async function fastifyExpvar (fastify, options) {
  // Fastify's own message would be about a decorator; say what was done twice.
  if (fastify.hasDecorator('expvar')) throw new FST_EXPVAR_ALREADY_REGISTERED()
  const resolved = resolveOptions(options, fastify.log)
  const { registry, url, route, ui } = resolved
  fastify.decorate('expvar', registry)
  registerBuiltins(fastify, resolved)
  await loadAppFolders(fastify, resolved)
  const cluster = resolved.cluster === false ? undefined : { member: joinCluster(fastify, registry, resolved.cluster), builtins: builtinNames(resolved) }
  if (url !== false) registerRoute(fastify, registry, url, route, cluster)
  if (ui !== false) await registerUi(fastify, ui, route)
}

export const fastifyExpvar = fp(plugin, { fastify: '5.x', name: 'fastify-expvar' })
export default fastifyExpvar

export { Registry } from './lib/registry.js'
export { ExpVar, defineExpvars } from './lib/define.js'
export { IntVar, FloatVar, StringVar, MapVar, FuncVar } from './lib/vars.js'
export { aggregateWorkers } from './lib/cluster/primary.js'
export * as errors from './lib/errors.js'
export type * from './types/index.js'
