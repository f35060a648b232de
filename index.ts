// fastify-expvar: Go's expvar for Fastify. Wiring only: options -> registry -> builtins -> app files -> route.
import type { FastifyPluginAsync } from 'fastify'
import fp from 'fastify-plugin'
import type * as api from './types/index.js'
import type { FastifyExpvarOptions, Handle } from './types/index.js'
import { FST_EXPVAR_ALREADY_REGISTERED } from './lib/errors.js'
import { resolveOptions } from './lib/options.js'
import { documentRoute } from './lib/routes/document.js'
import { builtinsOf, registerBuiltins } from './lib/builtins/index.js'
import { metricsRoute } from './lib/routes/metrics.js'
import { registerScrapeRoute } from './lib/routes/scrape.js'
import { untimed } from './lib/builtins/http.js'
import { loadAppFolders } from './lib/discovery.js'
import { registerUi } from './lib/routes/ui.js'
import { joinCluster } from './lib/cluster/index.js'
import * as registries from './lib/registry.js'
import * as vars from './lib/vars.js'
import * as histograms from './lib/histogram.js'

const plugin: FastifyPluginAsync<FastifyExpvarOptions> = async function fastifyExpvar (fastify, options) {
  // Fastify's own message would be about a decorator; say what was done twice.
  if (fastify.hasDecorator('expvar')) throw new FST_EXPVAR_ALREADY_REGISTERED()
  const resolved = resolveOptions(options, fastify.log)
  const { registry, url, route, ui } = resolved
  fastify.decorate('expvar', registry)
  registerBuiltins(fastify, resolved)
  await loadAppFolders(fastify, resolved)
  const cluster = resolved.cluster === false ? undefined : joinCluster(fastify, registry, resolved.cluster, builtinsOf(resolved))
  // The plugin's own routes are not timed by the http builtin; they answer from the whole
  // cluster in cluster mode, else from the registry.
  const own = untimed(route)
  const scraper = cluster ?? registry
  if (url !== false) registerScrapeRoute(fastify, scraper, documentRoute(url, cluster !== undefined), own)
  if (ui !== false) await registerUi(fastify, ui, own, registry, builtinsOf(resolved))
  if (resolved.prometheus !== false) registerScrapeRoute(fastify, scraper, metricsRoute(resolved.prometheus), own)
}

export const fastifyExpvar = fp(plugin, { fastify: '5.x', name: 'fastify-expvar' })
export default fastifyExpvar

// The classes, typed by their public interfaces in types/: a value and a type of one name each,
// as a class declaration would give them.
/* eslint-disable @typescript-eslint/no-redeclare */
export const Registry: api.RegistryConstructor = registries.Registry
export const IntVar: Handle<api.IntVar> = vars.IntVar
export const FloatVar: Handle<api.FloatVar> = vars.FloatVar
export const StringVar: Handle<api.StringVar> = vars.StringVar
export const MapVar: Handle<api.MapVar> = vars.MapVar
export const FuncVar: Handle<api.FuncVar, [fn: () => unknown]> = vars.FuncVar
export const HistogramVar: api.HistogramVarConstructor = histograms.HistogramVar
export type Registry = api.Registry
export type IntVar = api.IntVar
export type FloatVar = api.FloatVar
export type StringVar = api.StringVar
export type MapVar = api.MapVar
export type FuncVar = api.FuncVar
export type HistogramVar<L extends string = string> = api.HistogramVar<L>
/* eslint-enable @typescript-eslint/no-redeclare */
export { ExpVar, defineExpvars } from './lib/define.js'
export { aggregateWorkers } from './lib/cluster/primary.js'
export * as errors from './lib/errors.js'
export type * from './types/index.js'
