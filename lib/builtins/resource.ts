// The `resource` var: process.resourceUsage() under getrusage(2)'s names, as django-expvar-resource reports them.
import type { FastifyPluginAsync } from 'fastify'
import { type Families, field, single } from '../families.js'
import { byField } from '../cluster/aggregate.js'
import { type Builtin, publishBuiltin } from './publish.js'
import type { BuiltinContext } from './readings.js'

const US_PER_S = 1e6

/** getrusage's fields; utime and stime in seconds, maxrss in kilobytes, the rest counts. */
function rusage (usage: NodeJS.ResourceUsage): Record<string, number> {
  return {
    utime: usage.userCPUTime / US_PER_S,
    stime: usage.systemCPUTime / US_PER_S,
    maxrss: usage.maxRSS,
    ixrss: usage.sharedMemorySize,
    idrss: usage.unsharedDataSize,
    isrss: usage.unsharedStackSize,
    minflt: usage.minorPageFault,
    majflt: usage.majorPageFault,
    nswap: usage.swappedOut,
    inblock: usage.fsRead,
    oublock: usage.fsWrite,
    msgsnd: usage.ipcSent,
    msgrcv: usage.ipcReceived,
    nsignals: usage.signalsCount,
    nvcsw: usage.voluntaryContextSwitches,
    nivcsw: usage.involuntaryContextSwitches
  }
}

/** resource in the exposition formats: the CPU times, as prom-client's counters. */
const resourceFamilies: Families = (value) => {
  const user = field(value, 'utime')
  const system = field(value, 'stime')
  return [
    single('process_cpu_user_seconds', 'counter', 'User CPU time, in seconds (resource utime).', user),
    single('process_cpu_system_seconds', 'counter', 'System CPU time, in seconds (resource stime).', system),
    single('process_cpu_seconds', 'counter', 'User and system CPU time, in seconds (resource utime + stime).',
      typeof user === 'number' && typeof system === 'number' ? user + system : undefined)
  ]
}

/** Publishes `resource`: one process.resourceUsage() per window of the instance's readings. */
const resource: FastifyPluginAsync<BuiltinContext> = async function resource (fastify, { readings }) {
  publishBuiltin(fastify, resourceBuiltin, readings.source(() => rusage(process.resourceUsage())))
}

/**
 * resource in the table: in a cluster, CPU seconds and counts summed, the sizes (peak resident set,
 * integral sizes) the largest worker's.
 */
export const resourceBuiltin: Builtin = { name: 'resource', plugin: resource, families: resourceFamilies, aggregate: byField({ maxrss: 'max', ixrss: 'max', idrss: 'max', isrss: 'max' }) }
