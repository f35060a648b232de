// App discovery: each app folder's expvars/ files, imported once each and registered in a stable order.
import { readdir, stat } from 'node:fs/promises'
import { basename, dirname, join, resolve } from 'node:path'
import { pathToFileURL } from 'node:url'
import type { FastifyInstance, FastifyPluginAsync, FastifyPluginCallback } from 'fastify'
import { describe } from './describe.js'
import { FST_EXPVAR_APP_NOT_FOUND, FST_EXPVAR_INVALID_EXPORT, FST_EXPVAR_LOAD_FAILED } from './errors.js'
import { isClassSyntax } from './define.js'

const EXPVARS_FOLDER = 'expvars'
// The files loaded as scripts: .ts, .js, .mjs, .cjs (and .mts, .cts), never declarations.
const SCRIPT = /^(?!.*\.d\.[cm]?ts$).*\.(?:[cm]?ts|[cm]?js)$/i
// Node's refusal of a .ts file when no TypeScript loader handles it.
const UNKNOWN_EXTENSION = 'ERR_UNKNOWN_FILE_EXTENSION'
const TYPESCRIPT_HINT = ' (a TypeScript var file needs a TypeScript loader: run under tsx, `npx tsx` or `node --import tsx`, or compile it)'
// The share of Fastify's pluginTimeout a var file's import may take, so that a top-level await
// that never settles is reported as this file's failure before avvio's timeout names the loader;
// when the app turned pluginTimeout off (0), the import still gets a bound of its own.
const IMPORT_SHARE = 0.8
const UNBOUNDED_IMPORT_MS = 10_000
// A folder name this close to `expvars` (edits, any case) is taken for a misspelling of it.
const NEAR_MISS_EDITS = 2
// Symbols Fastify and avvio read on a plugin: a wrapper carries them so that it registers as the
// var file's plugin would (fastify-plugin's skip-override and metadata, the name in errors).
const PLUGIN_SYMBOLS = [Symbol.for('skip-override'), Symbol.for('plugin-meta'), Symbol.for('fastify.display-name')]

interface DiscoveryOptions {
  readonly apps: readonly string[]
  readonly skip: readonly string[]
}

/** What a var file's module holds, as far as loading it goes. */
interface VarModule {
  readonly default?: unknown
  readonly autoload?: unknown
}

type VarPlugin = FastifyPluginAsync | FastifyPluginCallback

async function isFolder (path: string): Promise<boolean> {
  return (await stat(path).catch(() => undefined))?.isDirectory() === true
}

/**
 * The app folders to load, resolved against the working directory, in the order given. Every app
 * must exist, skipped or not, so that a typo is caught wherever it is; a skip entry that matches
 * no app is warned about, since the vars it was meant to hide are served.
 */
async function resolveApps (fastify: FastifyInstance, { apps, skip }: DiscoveryOptions): Promise<string[]> {
  const folders: string[] = []
  for (const app of apps) {
    const folder = resolve(app)
    if (!await isFolder(folder)) throw new FST_EXPVAR_APP_NOT_FOUND(app, folder)
    folders.push(folder)
  }
  const skips = (folder: string) => (entry: string): boolean => entry === basename(folder) || resolve(entry) === folder
  for (const entry of skip) {
    if (!folders.some((folder) => skips(folder)(entry))) fastify.log.warn({ skip: entry }, 'expvar: skip entry matches no app')
  }
  const kept: string[] = []
  for (const folder of folders) {
    if (skip.some(skips(folder))) {
      fastify.log.debug({ app: folder }, 'expvar: app skipped')
    } else if (!kept.includes(folder)) {
      kept.push(folder)
    }
  }
  return kept
}

/** Edits (insert, delete, replace) from a to b, counted only up to limit + 1. */
function editDistance (a: string, b: string, limit: number): number {
  if (Math.abs(a.length - b.length) > limit) return limit + 1
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j)
  for (let i = 1; i <= a.length; i++) {
    const current = [i]
    for (let j = 1; j <= b.length; j++) {
      current[j] = Math.min((previous[j] as number) + 1, (current[j - 1] as number) + 1, (previous[j - 1] as number) + (a[i - 1] === b[j - 1] ? 0 : 1))
    }
    previous = current
  }
  return previous[b.length] as number
}

/** The folders of app that look like a misspelt expvars/ (`expvar/`, `Expvars/`, `exp_vars/`). */
async function nearMisses (app: string): Promise<string[]> {
  const entries = await readdir(app, { withFileTypes: true })
  return entries
    .filter((entry) => entry.isDirectory() && editDistance(entry.name.toLowerCase(), EXPVARS_FOLDER, NEAR_MISS_EDITS) <= NEAR_MISS_EDITS)
    .map((entry) => entry.name)
    .sort()
}

/** A thrown value in words, whatever it is: `throw null`, a string, an object whose getters throw. */
function describeThrown (thrown: unknown): string {
  try {
    const message: unknown = (thrown as { message?: unknown } | null)?.message
    if (thrown instanceof Error && typeof message === 'string') return message
    return `it threw ${describe(thrown)}`
  } catch {
    return `it threw ${typeof thrown}, which could not be described`
  }
}

function loadFailed (file: string, thrown: unknown): Error {
  if (thrown instanceof FST_EXPVAR_LOAD_FAILED) return thrown
  let message = describeThrown(thrown)
  // Node's own error has the code; a loader that declines a file (ts-node, outside its scope) says it in the message.
  if ((thrown as { code?: unknown } | null)?.code === UNKNOWN_EXTENSION || message.includes(UNKNOWN_EXTENSION)) message += TYPESCRIPT_HINT
  return new FST_EXPVAR_LOAD_FAILED(file, message, { cause: thrown })
}

/** How an export that is not a plugin is named in FST_EXPVAR_INVALID_EXPORT; undefined for a plugin. */
function describeExport (exported: unknown): string | undefined {
  if (typeof exported === 'function') {
    // A class is a function too, but avvio cannot call it: `export default defineExpvars(MyVar)`.
    return isClassSyntax(exported) ? 'a class' : undefined
  }
  if (exported === null) return 'null'
  if (Array.isArray(exported)) return 'an array'
  if (typeof exported !== 'object') return typeof exported
  // An ExpVar instance is named by its class: `defineExpvars(new Signups())` was meant.
  try {
    const proto: unknown = Object.getPrototypeOf(exported)
    if (proto === null || proto === Object.prototype) return 'a plain object'
    const name: unknown = (proto as { constructor?: { name?: unknown } }).constructor?.name
    return typeof name === 'string' && name !== '' ? `an instance of ${name}` : 'an object'
  } catch {
    return 'an object'
  }
}

/** import() of file, rejected when it has not settled within ms (a top-level await that never settles). */
async function importWithin (file: string, ms: number): Promise<VarModule> {
  let timer: NodeJS.Timeout | undefined
  const late = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new Error(`its import did not settle within ${ms} ms (a top-level await that never settles?)`)), ms)
    timer.unref()
  })
  try {
    return await Promise.race([import(pathToFileURL(file).href) as Promise<VarModule>, late])
  } finally {
    clearTimeout(timer)
  }
}

/**
 * The plugin a var file's module default-exports. A CommonJS file is imported as its
 * module.exports, and a transpiled one (`exports.default = plugin`) holds the plugin one level down.
 */
function exportedPlugin (module: VarModule): unknown {
  const exported = module.default
  if (typeof exported === 'object' && exported !== null && !Array.isArray(exported) && Object.hasOwn(exported, 'default')) {
    return (exported as VarModule).default
  }
  return exported
}

/** Calls a plugin as avvio would, async or with a done callback, with whatever it throws or passes to done() rejected. */
function callPlugin (plugin: VarPlugin, fastify: FastifyInstance, options: object): Promise<unknown> {
  if (plugin.length < 3) return Promise.resolve().then(() => (plugin as FastifyPluginAsync)(fastify, options))
  return new Promise((resolve, reject) => {
    (plugin as FastifyPluginCallback)(fastify, options, (err) => { if (err) reject(err); else resolve(undefined) })
  })
}

/**
 * The var file's plugin behind a wrapper that names the file in whatever it throws: avvio treats
 * `throw null` (or `done(null)`-like falsy rejections of an async plugin) as success, which would
 * let ready() pass with the file's vars missing.
 */
function namedPlugin (file: string, plugin: VarPlugin): FastifyPluginAsync {
  const wrapper: FastifyPluginAsync = async function varFile (fastify, options) {
    let failed = false
    let thrown: unknown
    await callPlugin(plugin, fastify, options).catch((err: unknown) => {
      failed = true
      thrown = err
    })
    if (failed) throw loadFailed(file, thrown)
  }
  for (const symbol of PLUGIN_SYMBOLS) {
    const value: unknown = (plugin as unknown as Record<symbol, unknown>)[symbol]
    if (value !== undefined) Object.defineProperty(wrapper, symbol, { value })
  }
  if (!Object.hasOwn(wrapper, Symbol.for('fastify.display-name'))) {
    Object.defineProperty(wrapper, Symbol.for('fastify.display-name'), { value: `expvar file ${file}` })
  }
  return wrapper
}

/**
 * One var file as a plugin of its own: imported once (Node's own import(), so Node alone decides
 * ES module or CommonJS), checked, and its plugin registered. Awaiting the registration here
 * scopes an error to this file: an earlier failure (a builtin, another file) never reaches this
 * catch, because avvio skips the plugins queued after a failed one.
 */
function varFilePlugin (file: string): FastifyPluginAsync {
  const plugin: FastifyPluginAsync = async function loadVarFile (fastify) {
    const { pluginTimeout } = fastify.initialConfig
    const bound = pluginTimeout !== undefined && pluginTimeout > 0 ? Math.floor(pluginTimeout * IMPORT_SHARE) : UNBOUNDED_IMPORT_MS
    let module: VarModule
    try {
      module = await importWithin(file, bound)
    } catch (err) {
      throw loadFailed(file, err)
    }
    const exported = exportedPlugin(module)
    // The opt-out @fastify/autoload reads, on the module or on its default export: honoured, not an error.
    if (module.autoload === false || (exported as VarModule | undefined)?.autoload === false) {
      fastify.log.debug({ file }, 'expvar: file opts out with autoload = false')
      return
    }
    const shape = describeExport(exported)
    if (shape !== undefined) throw new FST_EXPVAR_INVALID_EXPORT(file, shape)
    try {
      await fastify.register(namedPlugin(file, exported as VarPlugin))
    } catch (err) {
      throw loadFailed(file, err)
    }
  }
  // In the plugin's own context, so that var files see the app's decorators and an fp-wrapped
  // var file's hooks reach the app, as they would from the app's own autoload.
  Object.assign(plugin, { [Symbol.for('skip-override')]: true, [Symbol.for('fastify.display-name')]: `expvar file ${file}` })
  return plugin
}

/**
 * Loads the expvars/ files of every app not skipped: apps in the order given, files by name (in
 * JavaScript's string order). Only the files directly in expvars/; its subfolders are for helpers.
 * Each file is its own plugin, so a failure in it (at import or while it registers its vars)
 * fails `ready()` with FST_EXPVAR_LOAD_FAILED naming it.
 */
export async function loadAppFolders (fastify: FastifyInstance, options: DiscoveryOptions): Promise<void> {
  for (const app of await resolveApps(fastify, options)) {
    const dir = join(app, EXPVARS_FOLDER)
    if (!await isFolder(dir)) {
      if (basename(app) === EXPVARS_FOLDER) {
        // `apps: [join(dir, 'expvars')]`: the var files are right here, but apps name the folders that hold expvars/.
        fastify.log.warn({ app, give: dirname(app) }, `expvar: an app folder is an expvars/ folder itself, so nothing is loaded from it: give apps the folder that holds it, ${dirname(app)}`)
        continue
      }
      const near = await nearMisses(app)
      if (near.length > 0) {
        fastify.log.warn({ app, found: near }, `expvar: app has no expvars/ folder, but has ${near.map((name) => name + '/').join(', ')}: is it misspelt? Nothing is loaded from it`)
      } else {
        fastify.log.debug({ app }, 'expvar: app has no expvars/ folder')
      }
      continue
    }
    const entries = (await readdir(dir, { withFileTypes: true })).filter((entry) => SCRIPT.test(entry.name))
    for (const link of entries.filter((entry) => entry.isSymbolicLink())) {
      fastify.log.warn({ file: join(dir, link.name) }, 'expvar: a symbolic link in expvars/ is not loaded (links are not followed)')
    }
    const names = entries.filter((entry) => entry.isFile()).map((entry) => entry.name).sort()
    for (const name of names) fastify.register(varFilePlugin(join(dir, name)))
  }
}
