// Where a registration comes from: the first stack frame outside this plugin, as path:line:column.
import { dirname, isAbsolute, join, sep } from 'node:path'
import { fileURLToPath } from 'node:url'

// Enough frames to climb out of the plugin, Fastify and avvio even when the app lowered the limit.
const FRAMES = 40
// A frame line: "at fn (location)", "at location", or "at async location" (a module's top level
// after an await); the location is whatever follows the first " (", so it may hold spaces.
const FRAME = /^at (?:async )?(?:.*? \()?(.*?)\)?$/
// The end of a frame's location: path:line:column.
const LINE_COLUMN = /:\d+:\d+$/

/** A folder of this plugin's code: its lib/ and the index.* beside it. */
function pluginFolders (lib: string): string[] {
  return [lib + sep, join(lib, '..', 'index.')]
}

const HERE = pluginFolders(dirname(fileURLToPath(import.meta.url)))

/**
 * The path:line:column of a V8 frame line, "at fn (/a b/c.ts:1:2)" or "at file:///a/b.mjs:1:2",
 * with a path that may hold spaces and parentheses; undefined for frames without a file
 * (node: internals, eval, native).
 */
function frameLocation (line: string): string | undefined {
  const location = FRAME.exec(line.trim())?.[1]
  if (location === undefined || !LINE_COLUMN.test(location)) return undefined
  const path = location.startsWith('file://') ? fileURLToPath(location) : location
  return isAbsolute(path) ? path : undefined
}

export function callSite (): string {
  const limit = Error.stackTraceLimit
  Error.stackTraceLimit = FRAMES
  const stack = new Error().stack as string
  Error.stackTraceLimit = limit
  let own: string[] | undefined
  for (const line of stack.split('\n')) {
    const location = frameLocation(line)
    if (location === undefined) continue
    // The first frame is this function's, named as frames name this plugin: under source maps
    // (node --enable-source-maps, tsx running the built package) that is lib/*.ts beside the
    // dist/lib/*.js that runs, so its folder is skipped as well as this module's own.
    own ??= [...HERE, ...pluginFolders(dirname(location))]
    if (!own.some((folder) => location.startsWith(folder))) return location
  }
  return 'unknown'
}
