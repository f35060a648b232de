// Where a registration comes from: the first stack frame outside this plugin, as path:line:column.
import { dirname, join, sep } from 'node:path'
import { fileURLToPath } from 'node:url'

const LIB_DIR = dirname(fileURLToPath(import.meta.url)) + sep
const PLUGIN_ENTRY = join(LIB_DIR, '..', 'index.')
// The location at the end of a V8 frame line: "at fn (/a/b.ts:1:2)" or "at file:///a/b.mjs:1:2".
const FRAME_LOCATION = /\(?((?:file:\/\/)?[^\s()]+:\d+:\d+)\)?$/
// Enough frames to climb out of the plugin, Fastify and avvio even when the app lowered the limit.
const FRAMES = 40

export function callSite (): string {
  const limit = Error.stackTraceLimit
  Error.stackTraceLimit = FRAMES
  const stack = new Error().stack as string
  Error.stackTraceLimit = limit
  for (const line of stack.split('\n')) {
    const location = FRAME_LOCATION.exec(line.trim())?.[1]
    if (location === undefined || location.startsWith('node:')) continue
    const path = location.startsWith('file://') ? fileURLToPath(location) : location
    if (!path.startsWith(LIB_DIR) && !path.startsWith(PLUGIN_ENTRY)) return path
  }
  return 'unknown'
}
