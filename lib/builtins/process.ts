// The `process` var: who and where this process is, and what memory it holds.
import type { FastifyPluginAsync } from 'fastify'
import { performance } from 'node:perf_hooks'
import type v8 from 'node:v8'
import { type Families, field, type MetricFamily, type MetricSample, single } from '../families.js'
import { ProcStats } from './proc.js'
import { type Builtin, publishBuiltin } from './publish.js'
import { type BuiltinContext, deepFreeze, type Readings } from './readings.js'

const MS_PER_S = 1000

// V8 names its spaces `new_space`, `old_space`, …; prom-client's `space` label drops the suffix.
const SPACE_SUFFIX = /_space$/

/** V8's heap spaces by short name: committed size, used and available bytes. */
function heapSpaces (statistics: readonly v8.HeapSpaceInfo[]): Record<string, Record<string, number>> {
  const spaces: Record<string, Record<string, number>> = {}
  for (const space of statistics) {
    spaces[space.space_name.replace(SPACE_SUFFIX, '')] = { size: space.space_size, used: space.space_used_size, available: space.space_available_size }
  }
  return spaces
}

/** Counts by type and the total, as prom-client groups libuv's handles, requests and resources. */
interface Active {
  readonly total: number
  readonly types: Record<string, number>
}

function countTypes (types: readonly string[]): Active {
  const counts: Record<string, number> = {}
  for (const type of types) counts[type] = (counts[type] ?? 0) + 1
  return { total: types.length, types: counts }
}

/** Handles and requests are objects, grouped by their class's name; one without a constructor is counted only in the total. */
function countObjects (list: readonly unknown[]): Active {
  const names: string[] = []
  for (const item of list) {
    const name = (item as { constructor?: { name?: unknown } } | null)?.constructor?.name
    if (typeof name === 'string') names.push(name)
  }
  return { ...countTypes(names), total: list.length }
}

// Node's own lists of what keeps the event loop alive: prom-client reads these (undocumented, present in every Node this supports).
interface ActiveLists {
  readonly _getActiveHandles?: () => readonly unknown[]
  readonly _getActiveRequests?: () => readonly unknown[]
}

function active (): Record<string, Active> {
  const lists = process as unknown as ActiveLists
  const out: Record<string, Active> = { resources: countTypes(process.getActiveResourcesInfo()) }
  if (typeof lists._getActiveHandles === 'function') out.handles = countObjects(lists._getActiveHandles())
  if (typeof lists._getActiveRequests === 'function') out.requests = countObjects(lists._getActiveRequests())
  return out
}

/**
 * The `process` var's value: identity, memory, what keeps the loop alive, and /proc's figures on
 * Linux. memoryUsage() (on Linux its rss is libuv's read of /proc/self/stat) and the heap spaces
 * are the instance's readings, which memstats shares.
 */
function processInfoValue (readings: Readings, proc: ProcStats, versions: NodeJS.ProcessVersions): Record<string, unknown> {
  return {
    pid: process.pid,
    ppid: process.ppid,
    uptime: process.uptime(),
    // The process's time origin, rounded as prom-client rounds it: one number for the life of the process.
    startTime: Math.round(performance.timeOrigin / MS_PER_S),
    title: process.title,
    versions,
    platform: process.platform,
    arch: process.arch,
    memory: readings.memoryUsage(),
    heapSpaces: heapSpaces(readings.heapSpaces()),
    active: active(),
    ...proc.read()
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

/** The families of what keeps the loop alive, under prom-client's names: by type, and the total. */
function activeFamilies (value: unknown, what: 'handles' | 'requests' | 'resources', described: string): MetricFamily[] {
  const types = field(value, 'active', what, 'types')
  const counts = typeof types === 'object' && types !== null ? Object.entries(types) : []
  return [
    {
      name: `nodejs_active_${what}`,
      type: 'gauge',
      help: `${described} by type (process active.${what}.types).`,
      samples: counts.map(([type, count]): MetricSample => ({ labels: { type }, value: count as number }))
    },
    // prom-client's name and meaning; untyped rather than its gauge, since promtool's lint refuses a gauge named *_total.
    single(`nodejs_active_${what}_total`, 'untyped', `${described} (process active.${what}.total).`, field(value, 'active', what, 'total'))
  ]
}

/** process in the exposition formats, under prom-client's names. */
const processFamilies: Families = (value) => [
  single('process_start_time_seconds', 'gauge', 'Start of the process, in seconds since the Unix epoch (process startTime).', field(value, 'startTime')),
  single('process_resident_memory_bytes', 'gauge', 'Resident set size, in bytes (process memory.rss).', field(value, 'memory', 'rss')),
  single('process_virtual_memory_bytes', 'gauge', 'Virtual memory size, in bytes (process vm.size: VmSize in /proc/self/status; Linux only).', field(value, 'vm', 'size')),
  single('process_heap_bytes', 'gauge', 'Data segment size, in bytes (process vm.data: VmData in /proc/self/status; Linux only).', field(value, 'vm', 'data')),
  single('process_open_fds', 'gauge', 'Open file descriptors (process fds.open: /proc/self/fd; Linux only).', field(value, 'fds', 'open')),
  single('process_max_fds', 'gauge', 'Limit of open file descriptors (process fds.max: /proc/self/limits; Linux only).', field(value, 'fds', 'max')),
  single('nodejs_external_memory_bytes', 'gauge', 'Memory of C++ objects bound to JS objects, in bytes (process memory.external).', field(value, 'memory', 'external')),
  ...activeFamilies(value, 'handles', 'Active libuv handles'),
  ...activeFamilies(value, 'requests', 'Active libuv requests'),
  ...activeFamilies(value, 'resources', 'Resources keeping the event loop alive'),
  ...spaceFamilies(field(value, 'heapSpaces')),
  ...versionInfo(field(value, 'versions', 'node'))
]

/** Publishes `process`: one value per window of the instance's readings, shared by the scrapes in it. */
const processInfo: FastifyPluginAsync<BuiltinContext> = async function processInfo (fastify, { readings }) {
  const proc = new ProcStats(fastify.log)
  // A copy: the shared value is frozen, and process.versions is not ours to freeze.
  const versions = deepFreeze({ ...process.versions })
  publishBuiltin(fastify, processBuiltin, readings.source(() => processInfoValue(readings, proc, versions)), () => proc.close())
}

/** process in the table: who and where one process is; in a cluster, the lowest-numbered worker's. */
export const processBuiltin: Builtin = { name: 'process', plugin: processInfo, families: processFamilies, aggregate: (values) => values[0] }
