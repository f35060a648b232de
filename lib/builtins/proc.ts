// Linux's /proc view of this process, as prom-client reads it: memory sizes from /proc/self/status, file descriptors from /proc/self/fd and /proc/self/limits.
import { readdirSync, readFileSync } from 'node:fs'
import { performance } from 'node:perf_hooks'
import type { ExpvarLogger } from '../../types/index.js'
import { safeLog } from '../log.js'

/**
 * Scrapes closer together than this share one reading of /proc (three reads, ~40 µs): a scraper
 * polling faster reads it at most this often. Documented in docs/grafana.md.
 */
export const PROC_MAX_AGE_MS = 100

const KIB = 1024
// /proc/self/status lines such as "VmSize:\t  123456 kB".
const STATUS_LINE = /^(VmSize|VmData):\s+(\d+) kB$/gm
// The "Max open files" line of /proc/self/limits: its soft limit, a number or "unlimited".
const MAX_OPEN_FILES = /^Max open files\s+(\S+)/m

/** What the `process` var carries from /proc: sizes in bytes, descriptors as counts. */
interface ProcReading {
  /** VmSize and VmData: prom-client's process_virtual_memory_bytes and process_heap_bytes. */
  readonly vm: { readonly size: number, readonly data: number }
  /** Open descriptors, and the soft limit (Infinity when unlimited). */
  readonly fds: { readonly open: number, readonly max: number }
}

function readStatus (): ProcReading['vm'] {
  const sizes: Record<string, number> = {}
  for (const [, key, kib] of readFileSync('/proc/self/status', 'latin1').matchAll(STATUS_LINE)) sizes[key as string] = Number(kib) * KIB
  return { size: sizes.VmSize as number, data: sizes.VmData as number }
}

/** The soft limit of open files in a /proc/self/limits text: Infinity when unlimited, NaN when the line is missing. */
export function maxOpenFiles (limits: string): number {
  const limit = MAX_OPEN_FILES.exec(limits)?.[1]
  return limit === 'unlimited' ? Infinity : Number(limit)
}

function readFds (): ProcReading['fds'] {
  // The listing's own descriptor is in it, and closed by the time it returns (prom-client subtracts it too).
  const open = readdirSync('/proc/self/fd').length - 1
  return { open, max: maxOpenFiles(readFileSync('/proc/self/limits', 'latin1')) }
}

/** One reading of /proc: the status file, the descriptor listing and the limits. */
export function readProc (): ProcReading {
  return { vm: readStatus(), fds: readFds() }
}

/**
 * This process's /proc reading, taken at most once per PROC_MAX_AGE_MS. Linux only, as in
 * prom-client: elsewhere there is none. A /proc that cannot be read (a sandbox without it) is
 * logged once, and the reading left out until it can be read again.
 */
export class ProcStats {
  readonly #linux: boolean
  readonly #log: ExpvarLogger
  readonly #readProc: () => ProcReading
  #reading: ProcReading | undefined = undefined
  #at = -Infinity
  #failing = false

  constructor (log: ExpvarLogger, platform: NodeJS.Platform = process.platform, read: () => ProcReading = readProc) {
    this.#linux = platform === 'linux'
    this.#log = log
    this.#readProc = read
  }

  read (): ProcReading | undefined {
    if (!this.#linux) return undefined
    const now = performance.now()
    if (now - this.#at < PROC_MAX_AGE_MS) return this.#reading
    this.#at = now
    try {
      this.#reading = this.#readProc()
      this.#failing = false
    } catch (err) {
      this.#reading = undefined
      if (!this.#failing) this.#failing = safeLog(this.#log, 'error', { var: 'process', err }, 'expvar: /proc cannot be read; the process var is served without its /proc figures until it can')
    }
    return this.#reading
  }
}
