// App discovery: each app folder's expvars/ files, loaded with @fastify/autoload in a stable order.
import { readdir, readFile, stat } from 'node:fs/promises'
import { createRequire } from 'node:module'
import { basename, dirname, extname, join, resolve } from 'node:path'
import { pathToFileURL } from 'node:url'
import fastifyAutoload from '@fastify/autoload'
import type { FastifyInstance, FastifyPluginAsync } from 'fastify'
import { FST_EXPVAR_APP_NOT_FOUND, FST_EXPVAR_INVALID_EXPORT, FST_EXPVAR_LOAD_FAILED } from './errors.js'
import { isClassSyntax } from './define.js'

export const EXPVARS_FOLDER = 'expvars'
// The files autoload loads as scripts: .ts, .js, .mjs, .cjs (and .mts, .cts), never declarations.
const SCRIPT = /^(?!.*\.d\.[cm]?ts$).*\.(?:[cm]?ts|[cm]?js)$/i
// Autoload gives index.* and autohooks.* files a role (an index hides its siblings, autohooks are
// not plugins); in expvars/ every file is a var file, so neither pattern may match anything.
const NOTHING = /(?!)/
// The end of what autoload says when it will not load a .ts file (its runtime check misses
// `node --import tsx`); the file itself imported fine by then, so only autoload's flag is missing.
const TYPESCRIPT_REFUSED = /compile TypeScript to JavaScript[^.]*\./
const TYPESCRIPT_HINT = '$& Under node --import tsx, set FASTIFY_AUTOLOAD_TYPESCRIPT=1.'

export interface DiscoveryOptions {
  readonly apps: readonly string[]
  readonly skip: readonly string[]
}

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

/** Whether autoload will `import()` the file or `require()` it: by extension, then package type. */
async function isModule (file: string): Promise<boolean> {
  const ext = extname(file).toLowerCase()
  if (ext === '.mjs' || ext === '.mts') return true
  if (ext === '.cjs' || ext === '.cts') return false
  for (let dir = dirname(file); ; dir = dirname(dir)) {
    const manifest = await readFile(join(dir, 'package.json'), 'utf8').catch(() => undefined)
    if (manifest !== undefined) return JSON.parse(manifest).type === 'module'
    if (dirname(dir) === dir) return false
  }
}

/** How an export that is not a plugin is named in FST_EXPVAR_INVALID_EXPORT. */
function describe (exported: unknown): string | undefined {
  if (typeof exported === 'function') {
    // A class is a function too, but avvio cannot call it: `export default defineExpvars(MyVar)`.
    return isClassSyntax(exported) ? 'a class' : undefined
  }
  if (exported === null) return 'null'
  if (Array.isArray(exported)) return 'an array'
  if (typeof exported !== 'object') return typeof exported
  // An ExpVar instance is named by its class: `defineExpvars(new Signups())` was meant.
  const proto: unknown = Object.getPrototypeOf(exported)
  return proto === null || proto === Object.prototype ? 'a plain object' : `an instance of ${(proto as { constructor: { name: string } }).constructor.name}`
}

/**
 * Imports a var file the way autoload will (the module cache then serves autoload the same
 * module), so that an import failure or a default export that is not a plugin is a coded error
 * naming the file, where autoload would skip it silently (or avvio crash on a class). False when
 * the file opts out with `autoload = false`.
 */
async function checkVarFile (file: string): Promise<boolean> {
  type Loaded = { default?: unknown, autoload?: unknown } | null
  let module: Loaded
  let exported: unknown
  try {
    if (await isModule(file)) {
      module = await import(pathToFileURL(file).href)
      exported = module?.default
    } else {
      module = createRequire(file)(file)
      exported = module?.default ?? module
    }
  } catch (err) {
    throw new FST_EXPVAR_LOAD_FAILED(file, (err as Error).message, { cause: err })
  }
  // Autoload's own opt-out, on the module or on its default export: honoured, not an error.
  if (module?.autoload === false || (exported as Loaded)?.autoload === false) return false
  const shape = describe(exported)
  if (shape !== undefined) throw new FST_EXPVAR_INVALID_EXPORT(file, shape)
  return true
}

/**
 * One var file as a plugin of its own: checked, then handed to autoload alone. Awaiting autoload
 * here scopes the error to this file: an earlier failure (a builtin, another file) never reaches
 * this catch, because avvio skips the plugins queued after a failed one.
 */
function varFilePlugin (dir: string, name: string): FastifyPluginAsync {
  const file = join(dir, name)
  const plugin: FastifyPluginAsync = async function loadVarFile (fastify) {
    if (!await checkVarFile(file)) {
      fastify.log.debug({ file }, 'expvar: file opts out with autoload = false')
      return
    }
    try {
      await fastify.register(fastifyAutoload, {
        dir,
        maxDepth: 0,
        indexPattern: NOTHING,
        autoHooksPattern: NOTHING,
        matchFilter: (path: string) => path === '/' + name
      })
    } catch (err) {
      const message = (err as Error).message.replace(TYPESCRIPT_REFUSED, TYPESCRIPT_HINT)
      throw new FST_EXPVAR_LOAD_FAILED(file, message, { cause: err })
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
      fastify.log.debug({ app }, 'expvar: app has no expvars/ folder')
      continue
    }
    const entries = (await readdir(dir, { withFileTypes: true })).filter((entry) => SCRIPT.test(entry.name))
    for (const link of entries.filter((entry) => entry.isSymbolicLink())) {
      fastify.log.warn({ file: join(dir, link.name) }, 'expvar: a symbolic link in expvars/ is not loaded (autoload does not follow links)')
    }
    const names = entries.filter((entry) => entry.isFile()).map((entry) => entry.name).sort()
    for (const name of names) fastify.register(varFilePlugin(dir, name))
  }
}
