// The `eventloop` var: event-loop delay and utilization over the window since the previous scrape.
import type { FastifyPluginAsync } from 'fastify'
import { type Exposer, field, scaled, single } from '../families.js'
import { publishBuiltin } from './publish.js'
import { monitorEventLoopDelay, performance, type EventLoopUtilization, type IntervalHistogram } from 'node:perf_hooks'

/** Sampling resolution of the delay histogram, ms (Node's default). */
export const RESOLUTION_MS = 10

/** Delay statistics in ns and utilization in [0, 1], each over the window since the previous read. */
export class EventLoopStats {
  readonly #delay: IntervalHistogram
  #elu: EventLoopUtilization = performance.eventLoopUtilization()

  constructor () {
    this.#delay = monitorEventLoopDelay({ resolution: RESOLUTION_MS })
    this.#delay.enable()
  }

  close (): void {
    this.#delay.disable()
  }

  /** Reads and starts a new window. A window without a sample reports zeros, not Node's sentinels. */
  read (): Record<string, number> {
    const h = this.#delay
    const elu = performance.eventLoopUtilization(this.#elu)
    this.#elu = performance.eventLoopUtilization()
    const stats = h.count === 0
      ? { min: 0, max: 0, mean: 0, stddev: 0, p50: 0, p90: 0, p99: 0, samples: 0 }
      : { min: h.min, max: h.max, mean: h.mean, stddev: h.stddev, p50: h.percentile(50), p90: h.percentile(90), p99: h.percentile(99), samples: h.count }
    h.reset()
    return { ...stats, utilization: elu.utilization }
  }
}

const NS_PER_S = 1e9
const LAG_STATS = ['min', 'max', 'mean', 'stddev', 'p50', 'p90', 'p99']

/** eventloop in the exposition formats: the delay statistics as prom-client's gauges, in seconds. */
export const eventloopFamilies: Exposer = (value) => LAG_STATS.map((stat) =>
  single(`nodejs_eventloop_lag_${stat}_seconds`, 'gauge', `Event-loop delay ${stat} since the previous scrape, in seconds (eventloop ${stat}).`, scaled(field(value, stat), NS_PER_S)))

export const eventloop: FastifyPluginAsync = async function eventloop (fastify) {
  const stats = new EventLoopStats()
  publishBuiltin(fastify, 'eventloop', () => stats.read(), () => stats.close(), eventloopFamilies)
}
