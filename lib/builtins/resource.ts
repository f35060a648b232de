// The `resource` var: process.resourceUsage() under getrusage(2)'s names, as django-expvar-resource reports them.
import type { FastifyPluginAsync } from 'fastify'
import { publishBuiltin } from './publish.js'

const US_PER_S = 1e6

/** getrusage's fields; utime and stime in seconds, maxrss in kilobytes, the rest counts. */
export function resourceUsage (): Record<string, number> {
  const usage = process.resourceUsage()
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

export const resource: FastifyPluginAsync = async function resource (fastify) {
  publishBuiltin(fastify, 'resource', resourceUsage)
}
