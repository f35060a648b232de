// The plugin's options: defaults as named constants, each option checked once, at register time.
import type { FastifyBaseLogger } from 'fastify'
import type { BuiltinName, ClusterOptions, CmdlineOptions, ExpvarRouteOptions, FastifyExpvarOptions, PrometheusOptions, UiOptions } from '../types/index.js'
import { BUILTIN_NAMES, PROMETHEUS_BUILTINS } from './builtins/index.js'
import { describe } from './describe.js'
import { FST_EXPVAR_INVALID_OPTION } from './errors.js'
import { isNamespace, NAMESPACE_EXPECTED } from './formats/exposition/names.js'
import { Registry } from './registry.js'
import { isTimeout, TIMEOUT_EXPECTED } from './registry-checks.js'
import { isDashboardFile } from './routes/ui.js'

const DEFAULT_URL = '/debug/vars'
const DEFAULT_UI_URL = '/debug/vars/ui'
const DEFAULT_METRICS_URL = '/metrics'
const DEFAULT_CLUSTER_TIMEOUT = 1000
// Every key of the options type, and only those: a new option cannot be left out of the check.
const OPTION_KEYS: Record<Exclude<keyof FastifyExpvarOptions, 'prefix'>, true> = { apps: true, skip: true, url: true, route: true, cmdline: true, memstats: true, builtins: true, collisions: true, timeout: true, registry: true, ui: true, cluster: true, prometheus: true }
const OPTIONS = Object.keys(OPTION_KEYS)
const CMDLINE_KEYS: Record<keyof CmdlineOptions, true> = { redact: true }
const CLUSTER_KEYS: Record<keyof ClusterOptions, true> = { timeout: true }
const UI_KEYS: Record<keyof UiOptions, true> = { url: true }
const PROMETHEUS_KEYS: Record<keyof PrometheusOptions, true> = { url: true, namespace: true }
// Fastify's own register options, which reach the plugin beside its own.
const FASTIFY_OPTIONS = ['logLevel', 'logSerializers']
// The route's own keys: set by the plugin, so a passthrough cannot silently replace them.
const RESERVED_ROUTE_KEYS = ['url', 'path', 'method', 'handler']

interface ResolvedOptions {
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
  readonly cluster: false | { readonly timeout: number }
  readonly prometheus: false | { readonly url: string, readonly namespace: string }
}

function throwInvalidOption (option: string, expected: string, got: unknown): never {
  throw new FST_EXPVAR_INVALID_OPTION(option, `expected ${expected}, got ${describe(got)}`)
}

function stringList (option: string, value: unknown): readonly string[] {
  if (!Array.isArray(value) || !value.every((item) => typeof item === 'string' && item.length > 0)) {
    throwInvalidOption(option, 'an array of non-empty strings', value)
  }
  return value
}

function isObject (value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

/** Refuses a key of a nested option object that its type does not have. */
function refuseUnknownKeys (option: string, value: Record<string, unknown>, keys: Record<string, true>): void {
  const unknown = Object.keys(value).find((key) => !Object.hasOwn(keys, key))
  if (unknown !== undefined) throwInvalidOption(option, `only the keys ${Object.keys(keys).join(', ')}`, unknown)
}

function resolveCmdline (value: unknown): ResolvedOptions['cmdline'] {
  if (value === true) return { redact: true }
  if (value === false) return false
  if (isObject(value)) {
    refuseUnknownKeys('cmdline', value, CMDLINE_KEYS)
    if (value.redact === undefined || typeof value.redact === 'boolean') return { redact: value.redact !== false }
  }
  return throwInvalidOption('cmdline', 'true, false or { redact: boolean }', value)
}

function resolveBuiltins (value: unknown): readonly BuiltinName[] {
  const names = stringList('builtins', value)
  for (const name of names) {
    if (!(BUILTIN_NAMES as readonly string[]).includes(name)) throwInvalidOption('builtins', `names among ${BUILTIN_NAMES.join(', ')}`, name)
  }
  return [...new Set(names)] as BuiltinName[]
}

// A literal path: Fastify's router reads `*`, `:name` and `(regex)` as patterns, and a `?` or `#`
// would never match a request's path (the query is not part of it). Whitespace is no path either.
const NOT_LITERAL = /[*:()?#\s]/
const LITERAL_EXPECTED = 'a literal path (no route pattern such as *, :name or (regex), no query string or fragment, no whitespace)'

function isPath (value: unknown): value is string {
  return typeof value === 'string' && value.startsWith('/')
}

/** A path option, checked: a string starting with "/", and literal. */
function checkPath (option: string, value: unknown, expected: string): string {
  if (!isPath(value)) return throwInvalidOption(option, expected, value)
  if (NOT_LITERAL.test(value)) throwInvalidOption(option, LITERAL_EXPECTED, value)
  return value
}

/** A path without its trailing slash: a router with ignoreTrailingSlash, and the dashboard, answer both. */
function folder (url: string): string {
  return url.length > 1 && url.endsWith('/') ? url.slice(0, -1) : url
}

/**
 * Refuses urls whose routes would collide (Fastify's raw FST_ERR_DUPLICATED_ROUTE otherwise): the
 * document's, the metrics' and the dashboard's paths differ, with or without a trailing slash, and
 * neither of the first two is one of the dashboard's own files (its metadata, its assets).
 */
function refuseCollisions (url: string | false, ui: ResolvedOptions['ui'], prometheus: ResolvedOptions['prometheus']): void {
  const metrics = prometheus === false ? false : prometheus.url
  if (metrics !== false && url !== false && folder(metrics) === folder(url)) throwInvalidOption('prometheus.url', `a path other than the document's (${url})`, metrics)
  if (ui === false) return
  if (folder(ui.url) === folder(ui.document)) throwInvalidOption('ui.url', `a path other than the document's (${ui.document})`, ui.url)
  if (metrics !== false && folder(ui.url) === folder(metrics)) throwInvalidOption('ui.url', `a path other than the metrics' (${metrics})`, ui.url)
  for (const [option, path] of [['url', ui.document], ['prometheus.url', metrics]] as const) {
    if (path !== false && isDashboardFile(ui.url, path)) throwInvalidOption(option, `a path other than the dashboard's own files (its metadata and assets under ${ui.url})`, path)
  }
}

function resolveUi (value: unknown, document: string | false): ResolvedOptions['ui'] {
  if (value === false) return false
  if (value !== true && !isObject(value)) return throwInvalidOption('ui', 'true, false or { url: string }', value)
  const given = value === true ? {} : value
  refuseUnknownKeys('ui', given, UI_KEYS)
  const url = checkPath('ui.url', given.url ?? DEFAULT_UI_URL, 'a path starting with "/"')
  // The page polls the plugin's own document route, behind the same hooks as the page itself.
  if (document === false) throwInvalidOption('ui', 'a document route to poll: ui needs url to be a path, not false', value)
  return { url, document }
}

function resolveCluster (value: unknown): ResolvedOptions['cluster'] {
  if (value === false) return false
  if (value === true) return { timeout: DEFAULT_CLUSTER_TIMEOUT }
  if (!isObject(value)) return throwInvalidOption('cluster', 'true, false or { timeout }', value)
  refuseUnknownKeys('cluster', value, CLUSTER_KEYS)
  const { timeout = DEFAULT_CLUSTER_TIMEOUT } = value
  if (!isTimeout(timeout)) throwInvalidOption('cluster.timeout', TIMEOUT_EXPECTED, timeout)
  return { timeout }
}

function resolveRoute (value: unknown): ExpvarRouteOptions {
  if (!isObject(value)) return throwInvalidOption('route', 'an object of route options', value)
  const reserved = RESERVED_ROUTE_KEYS.find((key) => key in value)
  if (reserved !== undefined) throwInvalidOption('route', `no ${reserved} (the plugin sets it; use the url option for the path)`, value)
  return value
}

function resolvePrometheus (value: unknown): ResolvedOptions['prometheus'] {
  if (value === false) return false
  if (value !== true && !isObject(value)) return throwInvalidOption('prometheus', 'true, false or { url, namespace }', value)
  const given = value === true ? {} : value
  refuseUnknownKeys('prometheus', given, PROMETHEUS_KEYS)
  const { namespace = '' } = given
  const url = checkPath('prometheus.url', given.url ?? DEFAULT_METRICS_URL, 'a path starting with "/"')
  if (!isNamespace(namespace)) throwInvalidOption('prometheus.namespace', NAMESPACE_EXPECTED, namespace)
  return { url, namespace }
}

function resolveRegistry (options: FastifyExpvarOptions, log: FastifyBaseLogger): Registry {
  const { registry, collisions, timeout } = options
  // The Registry checks its own options: collisions and timeout are checked there, once.
  if (registry === undefined) return new Registry({ collisions, timeout, logger: log })
  if (!(registry instanceof Registry)) throwInvalidOption('registry', 'a Registry', registry)
  // A given registry keeps its own settings; taking these too would leave one of them unused.
  if (collisions !== undefined) throwInvalidOption('collisions', 'no collisions option beside registry (set it on the Registry)', collisions)
  if (timeout !== undefined) throwInvalidOption('timeout', 'no timeout option beside registry (set it on the Registry)', timeout)
  return registry
}

export function resolveOptions (options: FastifyExpvarOptions, log: FastifyBaseLogger): ResolvedOptions {
  // fastify-plugin makes Fastify ignore a prefix given to this plugin's own register: say so
  // rather than serve at an unexpected path. A parent plugin's prefix does apply.
  if ('prefix' in options) throwInvalidOption('prefix', 'no prefix (Fastify ignores a prefix given to this plugin\'s own register, as for every fastify-plugin plugin; registered inside a prefixed plugin, the route lands under that prefix; set the path with the url option)', (options as { prefix: unknown }).prefix)
  const unknown = Object.keys(options).find((key) => !OPTIONS.includes(key) && !FASTIFY_OPTIONS.includes(key))
  if (unknown !== undefined) throwInvalidOption(unknown, `one of the options ${OPTIONS.join(', ')}`, unknown)
  const { apps = [], skip = [], url = DEFAULT_URL, route = {}, cmdline = true, memstats = true, ui = false, prometheus = false } = options
  // Not given: none, or with prometheus on the ones its boards need. Given, even [], it is what runs.
  const builtins = options.builtins ?? (prometheus === false ? [] : PROMETHEUS_BUILTINS)
  if (url !== false) checkPath('url', url, 'a path starting with "/" or false')
  if (typeof memstats !== 'boolean') throwInvalidOption('memstats', 'a boolean', memstats)
  const resolvedUi = resolveUi(ui, url)
  const resolvedPrometheus = resolvePrometheus(prometheus)
  refuseCollisions(url, resolvedUi, resolvedPrometheus)
  return {
    apps: stringList('apps', apps),
    skip: stringList('skip', skip),
    url,
    route: resolveRoute(route),
    cmdline: resolveCmdline(cmdline),
    memstats,
    builtins: resolveBuiltins(builtins),
    registry: resolveRegistry(options, log),
    ui: resolvedUi,
    cluster: resolveCluster(options.cluster === undefined ? false : options.cluster),
    prometheus: resolvedPrometheus
  }
}
