// The `process` var: who and where this process is.
import type { FastifyPluginAsync } from 'fastify'
import { publishBuiltin } from './publish.js'

function processInfoValue (): Record<string, unknown> {
  return {
    pid: process.pid,
    ppid: process.ppid,
    uptime: process.uptime(),
    title: process.title,
    versions: process.versions,
    platform: process.platform,
    arch: process.arch
  }
}

export const processInfo: FastifyPluginAsync = async function processInfo (fastify) {
  publishBuiltin(fastify, 'process', processInfoValue)
}
