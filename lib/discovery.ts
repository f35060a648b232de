// App discovery: each app folder's expvars/ files, loaded with @fastify/autoload in a stable order.
import { readdir, readFile, stat } from 'node:fs/promises'
import { createRequire } from 'node:module'
import { basename, dirname, extname, join, resolve } from 'node:path'
import { pathToFileURL } from 'node:url'
import fastifyAutoload from '@fastify/autoload'
import type { FastifyInstance } from 'fastify'
import { FST_EXPVAR_APP_NOT_FOUND, FST_EXPVAR_INVALID_EXPORT, FST_EXPVAR_LOAD_FAILED } from './errors.js'

export const EXPVARS_FOLDER = 'expvars'
// The files autoload loads as scripts: .ts, .js, .mjs, .cjs (and .mts, .cts), never declarations.
const SCRIPT = /^(?!.*\.d\.[cm]?ts$).*\.(?:[cm]?ts|[cm]?js)$/i
// Autoload would load an index file alone and skip its siblings; here every file is a var file.
const NO_INDEX = /^$/

export interface DiscoveryOptions {
  readonly apps: readonly string[]
  readonly skip: readonly string[]
}

async function isFolder (path: string): Promise<boolean> {
  return (await stat(path).catch(() => undefined))?.isDirectory() === true
}

/** The app folders to load, resolved against the working directory, in the order given. */
async function resolveApps (fastify: FastifyInstance, { apps, skip }: DiscoveryOptions): Promise<string[]> {
  const skipped = new Set(skip.flatMap((entry) => [entry, resolve(entry)]))
  const kept: string[] = []
  for (const app of apps) {
    const folder = resolve(app)
    if (!await isFolder(folder)) throw new FST_EXPVAR_APP_NOT_FOUND(app, folder)
    if (skipped.has(basename(folder)) || skipped.has(folder)) {
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

/**
 * Imports a var file the way autoload will (the module cache then serves autoload the same
 * module), so that an import failure or a default export that is not a plugin is a coded error
 * naming the file, where autoload would skip it silently.
 */
async function checkVarFile (file: string): Promise<void> {
  let exported: unknown
  try {
    if (await isModule(file)) {
      exported = (await import(pathToFileURL(file).href)).default
    } else {
      const required: unknown = createRequire(file)(file)
      exported = (required as { default?: unknown } | null)?.default ?? required
    }
  } catch (err) {
    throw new FST_EXPVAR_LOAD_FAILED(file, (err as Error).message, { cause: err })
  }
  if (typeof exported !== 'function') {
    const shape = exported === null ? 'null' : Array.isArray(exported) ? 'an array' : typeof exported === 'object' ? 'a plain object' : typeof exported
    throw new FST_EXPVAR_INVALID_EXPORT(file, shape)
  }
}

/**
 * Loads the expvars/ files of every app not skipped: apps in the order given, files by name. Each
 * file is its own autoload, so that a failure in it (at import or while it registers its vars)
 * fails `ready()` with FST_EXPVAR_LOAD_FAILED naming it.
 */
export async function loadAppFolders (fastify: FastifyInstance, options: DiscoveryOptions): Promise<void> {
  for (const app of await resolveApps(fastify, options)) {
    const dir = join(app, EXPVARS_FOLDER)
    if (!await isFolder(dir)) {
      fastify.log.debug({ app }, 'expvar: app has no expvars/ folder')
      continue
    }
    const names = (await readdir(dir, { withFileTypes: true }))
      .filter((entry) => entry.isFile() && SCRIPT.test(entry.name))
      .map((entry) => entry.name)
      .sort()
    for (const name of names) {
      const file = join(dir, name)
      await checkVarFile(file)
      fastify.register(fastifyAutoload, { dir, maxDepth: 0, indexPattern: NO_INDEX, matchFilter: (path: string) => path === '/' + name })
        // Async, so that avvio takes the rejection as this plugin's error and ready() rejects with it.
        .after(async (err) => {
          if (err) throw new FST_EXPVAR_LOAD_FAILED(file, err.message, { cause: err })
        })
    }
  }
}
