// The plugin's options: defaults as named constants, each option checked once, at register time.
import { inspect } from 'node:util'
import type { FastifyBaseLogger } from 'fastify'
import type { BuiltinName, ExpvarRouteOptions, FastifyExpvarOptions } from '../types/index.js'
import { BUILTIN_NAMES } from './builtins/index.js'
import { FST_EXPVAR_INVALID_OPTION } from './errors.js'
import { MAX_TIMEOUT, Registry } from './registry.js'

export const DEFAULT_CLUSTER_TIMEOUT = 1000

export const DEFAULT_URL = '/debug/vars'
const OPTIONS = ['apps', 'skip', 'url', 'route', 'cmdline', 'memstats', 'builtins', 'collisions', 'timeout', 'registry', 'cluster']
// Fastify's own register options, which reach the plugin beside its own.
const FASTIFY_OPTIONS = ['logLevel', 'logSerializers']
// The route's own keys: set by the plugin, so a passthrough cannot silently replace them.
const RESERVED_ROUTE_KEYS = ['url', 'path', 'method', 'handler']

export interface ResolvedOptions {
  readonly apps: readonly string[]
  readonly skip: readonly string[]
  readonly url: string | false
  readonly route: ExpvarRouteOptions
  readonly cmdline: false | { readonly redact: boolean }
  readonly memstats: boolean
  readonly builtins: readonly BuiltinName[]
  readonly registry: Registry
  readonly cluster: false | { readonly timeout: number }
}

function invalid (option: string, expected: string, got: unknown): never {
  throw new FST_EXPVAR_INVALID_OPTION(option, `expected ${expected}, got ${inspect(got, { breakLength: Infinity, depth: 1 })}`)
}

function stringList (option: string, value: unknown): readonly string[] {
  if (!Array.isArray(value) || !value.every((item) => typeof item === 'string' && item.length > 0)) {
    invalid(option, 'an array of non-empty strings', value)
  }
  return value
}

function isObject (value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

function resolveCmdline (value: unknown): ResolvedOptions['cmdline'] {
  if (value === true) return { redact: true }
  if (value === false) return false
  if (isObject(value) && (value.redact === undefined || typeof value.redact === 'boolean')) {
    return { redact: value.redact !== false }
  }
  return invalid('cmdline', 'true, false or { redact: boolean }', value)
}

function resolveBuiltins (value: unknown): readonly BuiltinName[] {
  const names = stringList('builtins', value)
  for (const name of names) {
    if (!(BUILTIN_NAMES as readonly string[]).includes(name)) invalid('builtins', `names among ${BUILTIN_NAMES.join(', ')}`, name)
  }
  return [...new Set(names)] as BuiltinName[]
}

function resolveCluster (value: unknown): ResolvedOptions['cluster'] {
  if (value === false) return false
  if (value === true) return { timeout: DEFAULT_CLUSTER_TIMEOUT }
  if (!isObject(value)) return invalid('cluster', 'true, false or { timeout }', value)
  const unknown = Object.keys(value).find((key) => key !== 'timeout')
  if (unknown !== undefined) invalid('cluster', 'only a timeout key', unknown)
  const { timeout = DEFAULT_CLUSTER_TIMEOUT } = value
  if (typeof timeout !== 'number' || !(timeout > 0 && timeout <= MAX_TIMEOUT)) {
    invalid('cluster.timeout', `a positive number of milliseconds up to ${MAX_TIMEOUT}`, timeout)
  }
  return { timeout }
}

function resolveRoute (value: unknown): ExpvarRouteOptions {
  if (!isObject(value)) return invalid('route', 'an object of route options', value)
  const reserved = RESERVED_ROUTE_KEYS.find((key) => key in value)
  if (reserved !== undefined) invalid('route', `no ${reserved} (the plugin sets it; use the url option for the path)`, value)
  return value
}

function resolveRegistry (options: FastifyExpvarOptions, log: FastifyBaseLogger): Registry {
  const { registry, collisions, timeout } = options
  if (registry === undefined) return new Registry({ collisions, timeout, logger: log })
  if (!(registry instanceof Registry)) invalid('registry', 'a Registry', registry)
  // A given registry keeps its own settings; taking these too would leave one of them unused.
  if (collisions !== undefined) invalid('collisions', 'no collisions option beside registry (set it on the Registry)', collisions)
  if (timeout !== undefined) invalid('timeout', 'no timeout option beside registry (set it on the Registry)', timeout)
  return registry
}

export function resolveOptions (options: FastifyExpvarOptions, log: FastifyBaseLogger): ResolvedOptions {
  // fastify-plugin makes Fastify ignore prefix: say so rather than serve at an unexpected path.
  if ('prefix' in options) invalid('prefix', 'no prefix (the plugin is not encapsulated, so Fastify ignores it; use the url option)', (options as { prefix: unknown }).prefix)
  const unknown = Object.keys(options).find((key) => !OPTIONS.includes(key) && !FASTIFY_OPTIONS.includes(key))
  if (unknown !== undefined) invalid(unknown, `one of the options ${OPTIONS.join(', ')}`, unknown)
  const { apps = [], skip = [], url = DEFAULT_URL, route = {}, cmdline = true, memstats = true, builtins = [] } = options
  if (url !== false && (typeof url !== 'string' || !url.startsWith('/'))) invalid('url', 'a path starting with "/" or false', url)
  if (typeof memstats !== 'boolean') invalid('memstats', 'a boolean', memstats)
  return {
    apps: stringList('apps', apps),
    skip: stringList('skip', skip),
    url,
    route: resolveRoute(route),
    cmdline: resolveCmdline(cmdline),
    memstats,
    builtins: resolveBuiltins(builtins),
    registry: resolveRegistry(options, log),
    cluster: resolveCluster(options.cluster === undefined ? false : options.cluster)
  }
}
