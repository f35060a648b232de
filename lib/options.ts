// The plugin's options: defaults as named constants, each option checked once, at register time.
import { inspect } from 'node:util'
import type { FastifyBaseLogger } from 'fastify'
import type { BuiltinName, ExpvarRouteOptions, FastifyExpvarOptions } from '../types/index.js'
import { BUILTIN_NAMES } from './builtins/index.js'
import { FST_EXPVAR_INVALID_OPTION } from './errors.js'
import { Registry } from './registry.js'

export const DEFAULT_URL = '/debug/vars'
export const DEFAULT_UI_URL = '/debug/vars/ui'
const OPTIONS = ['apps', 'skip', 'url', 'route', 'cmdline', 'memstats', 'builtins', 'collisions', 'timeout', 'registry', 'ui']
const UI_OPTIONS = ['url']
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
  /** The dashboard's path and the document route it polls, or false for no dashboard. */
  readonly ui: false | { readonly url: string, readonly document: string }
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

function isPath (value: unknown): value is string {
  return typeof value === 'string' && value.startsWith('/')
}

function resolveUi (value: unknown, document: string | false): ResolvedOptions['ui'] {
  if (value === false) return false
  if (value !== true && !isObject(value)) return invalid('ui', 'true, false or { url: string }', value)
  const given = value === true ? {} : value
  const unknown = Object.keys(given).find((key) => !UI_OPTIONS.includes(key))
  if (unknown !== undefined) invalid(`ui.${unknown}`, `one of the ui options ${UI_OPTIONS.join(', ')}`, unknown)
  const { url = DEFAULT_UI_URL } = given
  if (!isPath(url)) invalid('ui.url', 'a path starting with "/"', url)
  // The page polls the plugin's own document route, behind the same hooks as the page itself.
  if (document === false) invalid('ui', 'a document route to poll: ui needs url to be a path, not false', value)
  if (url === document) invalid('ui.url', `a path other than the document's (${document})`, url)
  return { url, document }
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
  const { apps = [], skip = [], url = DEFAULT_URL, route = {}, cmdline = true, memstats = true, builtins = [], ui = false } = options
  if (url !== false && !isPath(url)) invalid('url', 'a path starting with "/" or false', url)
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
    ui: resolveUi(ui, url)
  }
}
