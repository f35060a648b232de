// Test helpers: a Fastify app whose log lines are kept, so tests can assert what was logged.
import Fastify, { type FastifyInstance } from 'fastify'
import { performance, PerformanceObserver } from 'node:perf_hooks'
import { Writable } from 'node:stream'
import type { Test } from 'tap'
import expvar, { type FastifyExpvarOptions } from '../index.js'

export interface LogLine {
  level: number
  msg: string
  var?: string
  source?: string
  sources?: string[]
  err?: { message: string }
  [key: string]: unknown
}

export const WARN = 40
export const ERROR = 50

/** A Fastify app with the plugin registered and every log line collected in `logs`. */
export async function build (options: FastifyExpvarOptions = {}): Promise<{ app: FastifyInstance, logs: LogLine[] }> {
  const logs: LogLine[] = []
  const stream = new Writable({
    write (chunk: Buffer, _encoding, done) {
      logs.push(JSON.parse(chunk.toString()))
      done()
    }
  })
  const app = Fastify({ logger: { level: 'debug', stream } })
  await app.register(expvar, { cmdline: false, memstats: false, builtins: [], ...options })
  return { app, logs }
}

/** GET the document and parse it. */
export async function scrape (app: FastifyInstance, query = ''): Promise<Record<string, unknown>> {
  const res = await app.inject(`/debug/vars${query}`)
  if (res.statusCode !== 200) throw new Error(`scrape answered ${res.statusCode}: ${res.body}`)
  return JSON.parse(res.body)
}

/** The log lines about one var at a level. */
export function logsFor (logs: readonly LogLine[], name: string, level: number): LogLine[] {
  return logs.filter((line) => line.var === name && line.level === level)
}

/** The process warnings emitted from now until the test ends. */
export function processWarnings (t: { teardown: (fn: () => void) => void }): Error[] {
  const warnings: Error[] = []
  const listener = (warning: Error): void => { warnings.push(warning) }
  process.on('warning', listener)
  t.teardown(() => { process.off('warning', listener) })
  return warnings
}

/** Counts PerformanceObserver disconnect() calls from now until the test ends: a refused builtin must stop the observer it started. */
export function observerDisconnects (t: { teardown: (fn: () => void) => void }): { count: number } {
  const disconnect = PerformanceObserver.prototype.disconnect
  const calls = { count: 0 }
  PerformanceObserver.prototype.disconnect = function (this: PerformanceObserver) {
    calls.count++
    return disconnect.call(this)
  }
  t.teardown(() => { PerformanceObserver.prototype.disconnect = disconnect })
  return calls
}

export interface WaitOptions {
  /** Give up after this many ms (10 s). */
  within?: number
  /** Wait this many ms between tries (2). */
  every?: number
  /** Asked before each try: a reason to give up at once (a child that exited), or undefined. */
  stop?: () => string | undefined
}

/**
 * Polls `probe` every `every` ms until it returns something other than `undefined` or `false`, and
 * resolves to that. Bounded: after `within` ms it rejects, saying what was awaited and what the
 * last probe returned (or threw). For what arrives asynchronously (an observer's report, a log
 * line, a child's output); never a sleep before an assertion.
 */
export async function waitFor<T> (what: string, probe: () => T | undefined | false | Promise<T | undefined | false>, { within = 10_000, every = 2, stop }: WaitOptions = {}): Promise<T> {
  const deadline = performance.now() + within
  let last: unknown
  for (let tries = 1; ; tries++) {
    const reason = stop?.()
    if (reason !== undefined) throw new Error(`gave up waiting for ${what}: ${reason}`)
    try {
      const value = await probe()
      if (value !== undefined && value !== false) return value
      last = value
    } catch (err) {
      last = err
    }
    if (performance.now() >= deadline) throw new Error(`waited ${within} ms (${tries} tries) for ${what}; the last try gave ${last instanceof Error ? last.message : String(last)}`)
    await new Promise((resolve) => setTimeout(resolve, every))
  }
}

/** Replaces performance.now for the test: `to(ms)` sets the time the plugin reads, from now on. */
export function clock (t: Test): { to: (ms: number) => void } {
  const real = performance.now
  const start = real.call(performance)
  let time = start
  performance.now = () => time
  t.teardown(() => { performance.now = real })
  return { to: (ms) => { time = start + ms } }
}
