// The builtins' table: each builtin's plugin (its value), its metric families and its cluster rule, in one entry.
import type { FastifyInstance } from 'fastify'
import type { BuiltinName } from '../../types/index.js'
import type { BuiltinFaces } from '../families.js'
import { cmdlineBuiltin } from './cmdline.js'
import { eventloopBuiltin } from './eventloop.js'
import { gcBuiltin } from './gc.js'
import { httpBuiltin } from './http.js'
import { memstatsBuiltin } from './memstats.js'
import { processBuiltin } from './process.js'
import type { Builtin } from './publish.js'
import { Readings } from './readings.js'
import { resourceBuiltin } from './resource.js'

interface BuiltinOptions {
  readonly cmdline: false | { readonly redact: boolean }
  readonly memstats: boolean
  readonly builtins: readonly BuiltinName[]
}

/** The builtins the builtins option opts in to, by name, in their order. */
const OPT_IN: Readonly<Record<BuiltinName, Builtin>> = { resource: resourceBuiltin, process: processBuiltin, eventloop: eventloopBuiltin, gc: gcBuiltin, http: httpBuiltin }

/** Every builtin by name: the table. */
export const BUILTINS: ReadonlyMap<string, BuiltinFaces> = new Map([cmdlineBuiltin, memstatsBuiltin, ...Object.values(OPT_IN)].map((builtin: BuiltinFaces) => [builtin.name, builtin]))

/** The names the builtins option takes: the opt-in builtins above, in their order. */
export const BUILTIN_NAMES = Object.keys(OPT_IN) as readonly BuiltinName[]

/**
 * What `builtins` is when it is not given and `prometheus` is on: the builtins that carry
 * prom-client's default families, so that the public Node.js boards fill (docs/grafana.md).
 */
export const PROMETHEUS_BUILTINS: readonly BuiltinName[] = ['resource', 'process', 'eventloop', 'gc']

/**
 * The builtins these options publish, by name: Go's defaults (cmdline, memstats) unless turned
 * off, then the opted-in Node vars. The cluster's rules and families apply to these names.
 */
export function builtinsOf (options: BuiltinOptions): Map<string, BuiltinFaces> {
  const builtins = new Map<string, BuiltinFaces>()
  if (options.cmdline !== false) builtins.set(cmdlineBuiltin.name, cmdlineBuiltin)
  if (options.memstats) builtins.set(memstatsBuiltin.name, memstatsBuiltin)
  for (const name of options.builtins) builtins.set(name, OPT_IN[name])
  return builtins
}

/** Registers the builtins these options publish, in that order, sharing one instance's readings of the runtime. */
export function registerBuiltins (fastify: FastifyInstance, options: BuiltinOptions): void {
  const readings = new Readings()
  if (options.cmdline !== false) fastify.register(cmdlineBuiltin.plugin, { ...options.cmdline, readings })
  if (options.memstats) fastify.register(memstatsBuiltin.plugin, { readings })
  for (const name of options.builtins) fastify.register(OPT_IN[name].plugin, { readings })
}
