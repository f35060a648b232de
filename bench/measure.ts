// What every row of `npm run bench` shares: its report and table, the timing loops, and the loads
// (autocannon against a server process, in alternating pairs, by throughput or by server CPU).
import autocannon, { type Result } from 'autocannon'
import { fork } from 'node:child_process'
import { once } from 'node:events'
import { fileURLToPath } from 'node:url'
import type { LargeUrls, ServerUrls } from './servers.js'

export const LOAD_SECONDS = Number(process.env.BENCH_LOAD_SECONDS ?? 2.5)
export const LOAD_ROUNDS = 7
export const CONNECTIONS = 10
export const MICRO_ROUNDS = 7

export interface Row {
  readonly name: string
  readonly measured: string
  readonly target: string
  readonly verdict: 'PASS' | 'MISS' | 'n/a'
}

const rows: Row[] = []

export function ratio (x: number): string {
  return x.toFixed(2) + '×'
}

export function count (x: number): string {
  return Math.round(x).toLocaleString('en-US')
}

export function median (xs: number[]): number {
  const sorted = [...xs].sort((a, b) => a - b)
  return sorted[sorted.length >> 1] as number
}

export function report (row: Row): void {
  rows.push(row)
  console.log(`  ${row.verdict.padEnd(4)} ${row.name}: ${row.measured}`)
}

/** Nanoseconds that `run` takes. */
export function timeOf (run: () => void): number {
  const start = process.hrtime.bigint()
  run()
  return Number(process.hrtime.bigint() - start)
}

/** Nanoseconds until the promise `run` returns settles (a sliced scrape turns the loop meanwhile). */
export async function timeOfAsync (run: () => Promise<unknown>): Promise<number> {
  const start = process.hrtime.bigint()
  await run()
  return Number(process.hrtime.bigint() - start)
}

/**
 * Median ops/s of two loops, measured alternately so that both see the same machine.
 * Each loop gets one warm-up round first, so both are optimised before they count.
 */
export function compareLoops (calls: number, ours: (n: number) => void, theirs: (n: number) => void): { ours: number, theirs: number } {
  ours(calls / 10)
  theirs(calls / 10)
  const a: number[] = []
  const b: number[] = []
  for (let r = 0; r < MICRO_ROUNDS; r++) {
    a.push(calls / timeOf(() => ours(calls)) * 1e9)
    b.push(calls / timeOf(() => theirs(calls)) * 1e9)
  }
  return { ours: median(a), theirs: median(b) }
}

export interface Servers<U> {
  readonly urls: U
  /** The server process's CPU time so far (user + system), in microseconds. */
  readonly cpu: () => Promise<number>
  readonly stop: () => void
}

export async function startServers<U extends ServerUrls | LargeUrls> (kind: 'http' | 'large'): Promise<Servers<U>> {
  const child = fork(fileURLToPath(new URL('servers.ts', import.meta.url)), { stdio: 'inherit', env: { ...process.env, SERVERS: kind } })
  const [urls] = await once(child, 'message') as [U]
  const cpu = async (): Promise<number> => {
    child.send('cpu')
    const [{ user, system }] = await once(child, 'message') as [NodeJS.CpuUsage]
    return user + system
  }
  return { urls, cpu, stop: () => child.kill() }
}

/** The result of a load on `url`; any error, timeout or non-2xx answer fails the run. */
export function checked (url: string, result: Result): Result {
  if (result.errors > 0 || result.timeouts > 0 || result.non2xx > 0) {
    throw new Error(`${url}: ${result.errors} errors, ${result.timeouts} timeouts, ${result.non2xx} non-2xx answers`)
  }
  return result
}

/** Requests per second that `url` serves; any error or non-2xx answer fails the run. */
export async function load (url: string, seconds = LOAD_SECONDS): Promise<number> {
  const result = checked(url, await autocannon({ url, connections: CONNECTIONS, duration: seconds }))
  return result.requests.total / result.duration
}

/**
 * Measures the two URLs in adjacent pairs, the order swapped every round, and returns the median
 * of the pairs' ratios with the median req/s of each: other load on a shared machine comes in
 * bursts, which a median of close-in-time pairs rides out better than a ratio of totals.
 */
export async function compareLoads (ours: string, theirs: string): Promise<{ ratio: number, ours: number, theirs: number }> {
  await load(ours, 1)
  await load(theirs, 1)
  return alternate(() => load(ours), () => load(theirs))
}

/** Measures ours and theirs in adjacent pairs, the order swapped every round: medians of the ratios and of each. */
export async function alternate (ours: () => Promise<number>, theirs: () => Promise<number>, rounds = LOAD_ROUNDS): Promise<{ ratio: number, ours: number, theirs: number }> {
  const a: number[] = []
  const b: number[] = []
  const ratios: number[] = []
  for (let r = 0; r < rounds; r++) {
    const first = r % 2 === 0 ? await theirs() : await ours()
    const second = r % 2 === 0 ? await ours() : await theirs()
    const [x, y] = r % 2 === 0 ? [second, first] : [first, second]
    a.push(x)
    b.push(y)
    ratios.push(x / y)
  }
  return { ratio: median(ratios), ours: median(a), theirs: median(b) }
}

export interface CpuComparison {
  /** Median of the pairs' ratios of requests per second of server CPU. */
  readonly ratio: number
  /** Median requests per CPU-second of each. */
  readonly ours: number
  readonly theirs: number
  /** Median requests per second of each. */
  readonly rates: readonly [number, number]
}

/** A URL and the CPU time so far (µs) of the process that serves it. */
export interface CpuTarget {
  readonly url: string
  readonly cpu: () => Promise<number>
}

/**
 * Compares two URLs as requests per second of their servers' own CPU time, in alternating pairs
 * as alternate() does; loaded one at a time. Throughput alone follows autocannon's share of the
 * two cores: a static route saturates the client before its server: the same code's scrape read
 * 0.40x-0.72x across runs, the http row 0.89x-1.01x.
 */
export async function compareCpu (ours: CpuTarget, theirs: CpuTarget, rounds = LOAD_ROUNDS, seconds = LOAD_SECONDS): Promise<CpuComparison> {
  const rates = new Map<CpuTarget, number[]>([[ours, []], [theirs, []]])
  const perCpuSecond = async (target: CpuTarget): Promise<number> => {
    const before = await target.cpu()
    const result = checked(target.url, await autocannon({ url: target.url, connections: CONNECTIONS, duration: seconds }))
    rates.get(target)?.push(result.requests.total / result.duration)
    return result.requests.total / (await target.cpu() - before) * 1e6
  }
  await load(ours.url, 1)
  await load(theirs.url, 1)
  const compared = await alternate(() => perCpuSecond(ours), () => perCpuSecond(theirs), rounds)
  return { ...compared, rates: [median(rates.get(ours) ?? []), median(rates.get(theirs) ?? [])] }
}

/** A CPU comparison's figures: requests per CPU-second, CPU time a request, and throughput. */
export function cpuFigures ({ ratio: x, ours, theirs, rates }: CpuComparison): string {
  const micros = (perSecond: number): string => (1e6 / perSecond).toFixed(1)
  return `${ratio(x)} (median ${count(ours)} vs ${count(theirs)} requests per CPU-second, ${micros(ours)} vs ${micros(theirs)} µs a request; ${count(rates[0])} vs ${count(rates[1])} req/s)`
}

/** Requests per second of one connection: its inverse is the time of one scrape. */
export async function serial (url: string, seconds = LOAD_SECONDS): Promise<number> {
  const result = checked(url, await autocannon({ url, connections: 1, duration: seconds }))
  return result.requests.total / result.duration
}

export function printTable (): void {
  const header: Row = { name: 'row', measured: 'measured', target: 'target', verdict: 'n/a' }
  const width = (key: keyof Row): number => Math.max(...[header, ...rows].map((row) => row[key].length))
  const line = (row: Row, verdict: string): string =>
    `| ${row.name.padEnd(width('name'))} | ${row.measured.padEnd(width('measured'))} | ${row.target.padEnd(width('target'))} | ${verdict.padEnd(8)} |`
  console.log()
  console.log(line(header, 'result'))
  console.log(`| ${'-'.repeat(width('name'))} | ${'-'.repeat(width('measured'))} | ${'-'.repeat(width('target'))} | -------- |`)
  for (const row of rows) console.log(line(row, row.verdict === 'MISS' ? '**MISS**' : row.verdict))
  const misses = rows.filter((row) => row.verdict === 'MISS').length
  console.log()
  console.log(misses === 0 ? 'All targets met.' : `MISS: ${misses} target(s) not met.`)
}
