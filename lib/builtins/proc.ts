// Linux's /proc view of this process, as prom-client reads it: memory sizes from /proc/self/status, file descriptors from /proc/self/fd and /proc/self/limits.
import { closeSync, openSync, readdirSync, readSync } from 'node:fs'
import type { ExpvarLogger } from '../../types/index.js'
import { safeLog } from '../log.js'

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

// Room for a whole /proc/self/status (about 1.5 KB) or limits in one read (then one more, empty, for the end).
const READ_BYTES = 8192

/**
 * /proc/self/status and /proc/self/limits, each opened once and read again from its start at every
 * reading: the kernel writes a /proc file anew at each read from offset 0, and opening one costs
 * here several times its read (measured on a loaded 2-core VM: status 470 µs by readFileSync,
 * 47 µs by a read of the open descriptor). The two descriptors are this process's while the
 * instance lives (process_open_fds counts them), and closed when it closes.
 */
export class ProcFiles {
  readonly #fds = new Map<string, number>()
  readonly #buffer = Buffer.allocUnsafe(READ_BYTES)

  read (path: string): string {
    let fd = this.#fds.get(path)
    if (fd === undefined) {
      fd = openSync(path, 'r')
      this.#fds.set(path, fd)
    }
    // Until a read returns nothing: the kernel hands a /proc file over in pieces of at most a page,
    // whatever room the buffer has (/proc/self/maps of a large process comes in several reads).
    let text = ''
    for (let at = 0, n = 0; (n = readSync(fd, this.#buffer, 0, READ_BYTES, at)) > 0; at += n) {
      text += this.#buffer.toString('latin1', 0, n)
    }
    return text
  }

  close (): void {
    for (const fd of this.#fds.values()) closeSync(fd)
    this.#fds.clear()
  }
}

function readStatus (files: ProcFiles): ProcReading['vm'] {
  const sizes: Record<string, number> = {}
  for (const [, key, kib] of files.read('/proc/self/status').matchAll(STATUS_LINE)) sizes[key as string] = Number(kib) * KIB
  return { size: sizes.VmSize as number, data: sizes.VmData as number }
}

/** The soft limit of open files in a /proc/self/limits text: Infinity when unlimited, NaN when the line is missing. */
export function maxOpenFiles (limits: string): number {
  const limit = MAX_OPEN_FILES.exec(limits)?.[1]
  return limit === 'unlimited' ? Infinity : Number(limit)
}

function readFds (files: ProcFiles): ProcReading['fds'] {
  // The listing's own descriptor is in it, and closed by the time it returns (prom-client subtracts it too).
  const open = readdirSync('/proc/self/fd').length - 1
  return { open, max: maxOpenFiles(files.read('/proc/self/limits')) }
}

/** One reading of /proc: the status file, the descriptor listing and the limits. */
export function readProc (files: ProcFiles): ProcReading {
  return { vm: readStatus(files), fds: readFds(files) }
}

/**
 * This process's /proc reading (two reads of open files and a listing), taken once per window of
 * the instance's readings (the process var's). Linux only, as in prom-client: elsewhere there is
 * none, and nothing is opened. A /proc that cannot be read (a sandbox without it) is logged once,
 * its files closed, and the reading left out until it can be read again.
 */
export class ProcStats {
  readonly #linux: boolean
  readonly #log: ExpvarLogger
  readonly #files = new ProcFiles()
  readonly #readProc: () => ProcReading
  #failing = false
  #closed = false

  constructor (log: ExpvarLogger, platform: NodeJS.Platform = process.platform, read?: () => ProcReading) {
    this.#linux = platform === 'linux'
    this.#log = log
    this.#readProc = read ?? (() => readProc(this.#files))
  }

  /** Closes the files it keeps open; a later read (of a closed instance's var) opens and closes them. */
  close (): void {
    this.#closed = true
    this.#files.close()
  }

  read (): ProcReading | undefined {
    if (!this.#linux) return undefined
    try {
      const reading = this.#readProc()
      this.#failing = false
      if (this.#closed) this.#files.close()
      return reading
    } catch (err) {
      this.#files.close()
      if (!this.#failing) this.#failing = safeLog(this.#log, 'error', { var: 'process', err }, 'expvar: /proc cannot be read; the process var is served without its /proc figures until it can')
      return undefined
    }
  }
}
