// The `process` var: who and where this process is, and what memory it holds.
import type { FastifyPluginAsync } from 'fastify'
import v8 from 'node:v8'
import { type Families, field, type MetricFamily, type MetricSample, single } from '../families.js'
import { type Builtin, publishBuiltin } from './publish.js'

// V8 names its spaces `new_space`, `old_space`, …; prom-client's `space` label drops the suffix.
const SPACE_SUFFIX = /_space$/

/** V8's heap spaces by short name: committed size, used and available bytes. */
function heapSpaces (): Record<string, Record<string, number>> {
  const spaces: Record<string, Record<string, number>> = {}
  for (const space of v8.getHeapSpaceStatistics()) {
    spaces[space.space_name.replace(SPACE_SUFFIX, '')] = { size: space.space_size, used: space.space_used_size, available: space.space_available_size }
  }
  return spaces
}

function processInfoValue (): Record<string, unknown> {
  return {
    pid: process.pid,
    ppid: process.ppid,
    uptime: process.uptime(),
    title: process.title,
    versions: process.versions,
    platform: process.platform,
    arch: process.arch,
    memory: process.memoryUsage(),
    heapSpaces: heapSpaces()
  }
}

const SPACE_FIELDS = [['total', 'size'], ['used', 'used'], ['available', 'available']] as const

function spaceFamilies (spaces: unknown): MetricFamily[] {
  const names = typeof spaces === 'object' && spaces !== null ? Object.keys(spaces) : []
  return SPACE_FIELDS.map(([stat, key]) => ({
    name: `nodejs_heap_space_size_${stat}_bytes`,
    type: 'gauge',
    help: `V8 heap space ${stat} size, in bytes (process heapSpaces.*.${key}).`,
    samples: names.map((space): MetricSample => ({ labels: { space }, value: field(spaces, space, key) as number }))
  }))
}

function versionInfo (node: unknown): MetricFamily[] {
  if (typeof node !== 'string') return []
  const [major = '', minor = '', patch = ''] = node.split('.')
  return [{ name: 'nodejs_version_info', type: 'gauge', help: 'Node.js version (process versions.node), as labels.', samples: [{ labels: { version: 'v' + node, major, minor, patch }, value: 1 }] }]
}

/** process in the exposition formats, under prom-client's names. */
export const processFamilies: Families = (value) => {
  const uptime = field(value, 'uptime')
  return [
    // Rounded to the second as prom-client does: a start time that moves with each scrape's clock reading would be noise.
    single('process_start_time_seconds', 'gauge', 'Start of the process, in seconds since the Unix epoch (now - process uptime).',
      typeof uptime === 'number' ? Math.round(Date.now() / 1000 - uptime) : undefined),
    single('process_resident_memory_bytes', 'gauge', 'Resident set size, in bytes (process memory.rss).', field(value, 'memory', 'rss')),
    single('nodejs_external_memory_bytes', 'gauge', 'Memory of C++ objects bound to JS objects, in bytes (process memory.external).', field(value, 'memory', 'external')),
    ...spaceFamilies(field(value, 'heapSpaces')),
    ...versionInfo(field(value, 'versions', 'node'))
  ]
}

export const processInfo: FastifyPluginAsync = async function processInfo (fastify) {
  publishBuiltin(fastify, processBuiltin, processInfoValue)
}

/** process in the table: who and where one process is; in a cluster, the lowest-numbered worker's. */
export const processBuiltin: Builtin = { name: 'process', plugin: processInfo, families: processFamilies, aggregate: (values) => values[0] }
