// The public types of fastify-expvar and the FastifyInstance augmentation.
import type { RouteShorthandOptions } from 'fastify'
import type { Registry } from '../lib/registry.js'

/** What a second registration of a name does: merge (plain objects) / later wins, or throw. */
export type Collisions = 'merge' | 'error'

/** The opt-in Node runtime vars. */
export type BuiltinName = 'resource' | 'process' | 'eventloop' | 'http'

export interface CmdlineOptions {
  /** Replace the values of secret-looking flags and URL credentials with `[REDACTED]`. Default `true`. */
  redact?: boolean
}

/** The minimal logger the registry writes to: pino's shape, object first. */
export interface ExpvarLogger {
  warn (obj: object, msg: string): void
  error (obj: object, msg: string): void
}

/** Route options passed through to the GET route (auth hooks, logLevel, config, …). */
export type ExpvarRouteOptions = Omit<RouteShorthandOptions, 'schema'> & {
  schema?: { hide?: boolean, tags?: readonly string[], summary?: string, description?: string }
}

/** The live dashboard. */
export interface UiOptions {
  /** The page's path; its assets are served below it. Default `'/debug/vars/ui'`. */
  url?: string
}

interface PluginOptions {
  /** App folders; each one's `expvars/` subfolder is autoloaded. Relative paths resolve against `process.cwd()`. */
  apps?: readonly string[]
  /** App folders to ignore, by folder name or resolved path. */
  skip?: readonly string[]
  /** Route path, or `false` for no route. Default `'/debug/vars'`. */
  url?: string | false
  /** Passed through to the route. */
  route?: ExpvarRouteOptions
  /** Go's `cmdline` var. Default `true` (redacted). */
  cmdline?: boolean | CmdlineOptions
  /** Go's `memstats` var. Default `true`. */
  memstats?: boolean
  /** More runtime vars by name. Default `[]`. */
  builtins?: readonly BuiltinName[]
  /** The live dashboard: a page that polls the document and charts it. Needs the document route (`url` not `false`). Default `false`. */
  ui?: boolean | UiOptions
  /** In a `node:cluster` worker: every scrape answers for the whole cluster. Default `false`. */
  cluster?: boolean | ClusterOptions
  /** Refused: the plugin is wrapped with fastify-plugin, so Fastify's `prefix` would be ignored. Use `url`. */
  prefix?: never
}

/** The plugin makes its own registry, with these settings. */
interface OwnRegistryOptions extends PluginOptions {
  /** Default `'merge'`. */
  collisions?: Collisions
  /** Milliseconds a value may take before it is left out of a scrape. Default `500`. */
  timeout?: number
  registry?: undefined
}

export interface ClusterOptions {
  /** Milliseconds to wait for the other workers' values; a worker slower than this is `missing`. Default `1000`. */
  timeout?: number
}

/** What `aggregateWorkers()` returns in the primary. */
export interface WorkerAggregator {
  /** Stops relaying and removes the relay's listeners; the workers then answer alone. Idempotent. */
  stop (): void
}

/** The plugin uses a registry it is handed, which keeps its own `collisions` and `timeout`. */
interface GivenRegistryOptions extends PluginOptions {
  /** A registry to use instead of a fresh one. */
  registry: Registry
  collisions?: never
  timeout?: never
}

/** The plugin's options: `collisions` and `timeout` only when it makes its own registry. */
export type FastifyExpvarOptions = OwnRegistryOptions | GivenRegistryOptions

export interface RegistryOptions {
  /** Default `'merge'`. */
  collisions?: Collisions
  /** Milliseconds a value may take before it is left out of a scrape. Default `500`. */
  timeout?: number
  /** Where failures and collisions are logged. Default: `process.emitWarning`. */
  logger?: ExpvarLogger
}

/** Anything published: Go's `Var`. `string()` is its JSON text, `value()` its plain value. */
export interface Var {
  value (): unknown
  string (): string
  /** Where the var comes from, named in warnings and failure logs. Default: the registering file and line. */
  readonly source?: string
}

/** A var definition: a name and a function that returns (or resolves to) the value. */
export interface VarDefinition {
  readonly name: string
  value (): unknown
  /** Where the var comes from, named in warnings and failure logs. Default: the registering file and line. */
  readonly source?: string
}

/** A class whose instances are var definitions (a subclass of `ExpVar`). */
export type VarDefinitionClass = new () => VarDefinition

export type Definition = VarDefinition | VarDefinitionClass

/** What `do()` hands its callback: Go's `KeyValue`. */
export interface KeyValue {
  readonly key: string
  readonly value: Var
}

/** What `MapVar.do()` hands its callback: a key set to `null` holds no var. */
export interface MapKeyValue {
  readonly key: string
  readonly value: Var | null
}

export interface DocumentOptions {
  /** Only these names. */
  vars?: readonly string[]
  /** Log this scrape's failures here instead of the registry's logger (e.g. `request.log`). */
  log?: ExpvarLogger
}

declare module 'fastify' {
  interface FastifyInstance {
    expvar: Registry
  }
}
