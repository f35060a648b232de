// Wires the built-in vars: each one is an ordinary Fastify plugin that publishes through fastify.expvar.
import type { FastifyInstance, FastifyPluginAsync } from 'fastify'
import type { BuiltinName } from '../../types/index.js'
import { cmdline } from './cmdline.js'
import { eventloop } from './eventloop.js'
import { http } from './http.js'
import { memstats } from './memstats.js'
import { processInfo } from './process.js'
import { resource } from './resource.js'

export interface BuiltinOptions {
  readonly cmdline: false | { readonly redact: boolean }
  readonly memstats: boolean
  readonly builtins: readonly BuiltinName[]
}

const OPT_IN: Record<BuiltinName, FastifyPluginAsync> = { resource, process: processInfo, eventloop, http }

/** The names the builtins option takes: the opt-in builtins above, in their order. */
export const BUILTIN_NAMES = Object.keys(OPT_IN) as readonly BuiltinName[]

/** Registers Go's default vars (cmdline, memstats) unless turned off, then the opted-in Node vars. */
export function registerBuiltins (fastify: FastifyInstance, options: BuiltinOptions): void {
  if (options.cmdline !== false) fastify.register(cmdline, options.cmdline)
  if (options.memstats) fastify.register(memstats)
  for (const name of options.builtins) fastify.register(OPT_IN[name])
}

/** The names of the builtins these options publish: the cluster's aggregation rules apply to them. */
export function builtinNames (options: BuiltinOptions): Set<string> {
  const names = new Set<string>(options.builtins)
  if (options.cmdline !== false) names.add('cmdline')
  if (options.memstats) names.add('memstats')
  return names
}
