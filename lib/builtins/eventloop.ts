// The `eventloop` var: event-loop delay and utilization over the time since the previous reading.
import type { FastifyPluginAsync } from 'fastify'
import { type Families, field, scaled, single } from '../families.js'
import { byField, combine } from '../cluster/aggregate.js'
import { isPlainObject } from '../merge.js'
import { type Builtin, publishBuiltin } from './publish.js'
import type { BuiltinContext } from './readings.js'
import { monitorEventLoopDelay, performance, type EventLoopUtilization, type IntervalHistogram } from 'node:perf_hooks'

/** Sampling resolution of the delay histogram, ms (Node's default). */
const RESOLUTION_MS = 10

/**
 * Delay statistics in ns and utilization in [0, 1], each over the window since the previous read;
 * and `lag`, prom-client's nodejs_eventloop_lag_seconds in ns: how late an immediate queued at the
 * previous read (or at the start) ran.
 */
class EventLoopStats {
  readonly #delay: IntervalHistogram
  #elu: EventLoopUtilization = performance.eventLoopUtilization()
  #lag = 0
  #probe: NodeJS.Immediate | undefined

  constructor () {
    this.#delay = monitorEventLoopDelay({ resolution: RESOLUTION_MS })
    this.#delay.enable()
    this.#queueProbe()
  }

  close (): void {
    this.#delay.disable()
    clearImmediate(this.#probe)
  }

  /** One immediate at a time: reads closer together than a loop turn share it. */
  #queueProbe (): void {
    if (this.#probe !== undefined) return
    const queued = process.hrtime.bigint()
    this.#probe = setImmediate(() => {
      this.#lag = Number(process.hrtime.bigint() - queued)
      this.#probe = undefined
    }).unref()
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
    this.#queueProbe()
    return { ...stats, utilization: elu.utilization, lag: this.#lag }
  }
}

const NS_PER_S = 1e9
const LAG_STATS = ['min', 'max', 'mean', 'stddev', 'p50', 'p90', 'p99']

/** eventloop in the exposition formats: the lag and the delay statistics as prom-client's gauges, in seconds. */
const eventloopFamilies: Families = (value) => [
  single('nodejs_eventloop_lag_seconds', 'gauge', 'How late an immediate queued at the previous scrape ran, in seconds (eventloop lag).', scaled(field(value, 'lag'), NS_PER_S)),
  ...LAG_STATS.map((stat) =>
    single(`nodejs_eventloop_lag_${stat}_seconds`, 'gauge', `Event-loop delay ${stat} since the previous scrape, in seconds (eventloop ${stat}).`, scaled(field(value, stat), NS_PER_S)))
]

/**
 * Publishes `eventloop`: a window of the delay histogram is read (and a new one started) once per
 * window of the instance's readings; scrapes within it share that reading.
 */
const eventloop: FastifyPluginAsync<BuiltinContext> = async function eventloop (fastify, { readings }) {
  const stats = new EventLoopStats()
  publishBuiltin(fastify, eventloopBuiltin, readings.source(() => stats.read()), () => stats.close())
}

/**
 * eventloop: the worst delay anywhere (max of the maxima, percentiles and lags), the least of the minima,
 * the mean and stddev pooled over the samples. A worker whose window had no sample reports zeros,
 * which are no delay: it is left out of the delay fields.
 */
function eventloopAggregate (values: readonly unknown[]): unknown {
  const loops = values.filter(isPlainObject)
  const sampled = loops.filter((loop) => Number(loop.samples) > 0)
  // No worker saw a delay sample: every delay field is 0 anyway.
  if (sampled.length === 0) return byField({ utilization: 'avg', lag: 'max' })(loops)
  const n = sampled.reduce((a, loop) => a + Number(loop.samples), 0)
  const mean = sampled.reduce((a, loop) => a + Number(loop.samples) * Number(loop.mean), 0) / n
  const variance = sampled.reduce((a, loop) => a + Number(loop.samples) * (Number(loop.stddev) ** 2 + (Number(loop.mean) - mean) ** 2), 0) / n
  const out = byField({ min: 'min', max: 'max', p50: 'max', p90: 'max', p99: 'max' }, {
    // How late an immediate ran does not depend on the delay samples: the worst of every worker's.
    lag: () => combine(loops.map((loop) => loop.lag), 'max'),
    mean: () => mean,
    stddev: () => Math.sqrt(variance)
  })(sampled) as Record<string, unknown>
  out.utilization = combine(loops.map((loop) => loop.utilization), 'avg')
  return out
}

/** eventloop in the table: the delay statistics, prom-client's lag gauges, pooled across workers. */
export const eventloopBuiltin: Builtin = { name: 'eventloop', plugin: eventloop, families: eventloopFamilies, aggregate: eventloopAggregate }
