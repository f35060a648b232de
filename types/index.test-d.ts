// Type tests of the public API. test/e2e/exports.test.ts type-checks this file with tsc against the
// packed declarations, as a consumer's file, under nodenext, bundler and node10 with skipLibCheck
// off. Every `@ts-expect-error` fails that check if the line after it compiles; expectTypeOf
// (expect-type) fails it unless the types are identical (toEqualTypeOf) or assignable (toExtend).
import { expectTypeOf } from 'expect-type'
import Fastify, { type FastifyPluginAsync } from 'fastify'
import fastifyExpvar, {
  ExpVar, FloatVar, FuncVar, HistogramVar, IntVar, MapVar, Registry, StringVar, aggregateWorkers, defineExpvars, errors,
  type ClusterOptions, type HistogramChild, type HistogramDocument, type HistogramMeta, type HistogramLeaf, type FastifyExpvarOptions, type Format, type WorkerAggregator, type KeyValue, type MapKeyValue, type Var, type Writer
} from 'fastify-expvar'

const app = Fastify()
await app.register(fastifyExpvar)
await app.register(fastifyExpvar, {
  apps: ['./users'],
  skip: ['billing'],
  url: '/debug/vars',
  route: { logLevel: 'warn', onRequest: async () => {}, schema: { hide: true } },
  cmdline: { redact: false },
  memstats: false,
  builtins: ['resource', 'process', 'eventloop', 'http'],
  collisions: 'error',
  timeout: 250
})
await app.register(fastifyExpvar, { url: false, registry: new Registry({ logger: app.log }) })
// @ts-expect-error not a builtin
await app.register(fastifyExpvar, { builtins: ['heap'] })
// @ts-expect-error collisions is 'merge' or 'error'
await app.register(fastifyExpvar, { collisions: 'ignore' })
// @ts-expect-error url is a path or false
await app.register(fastifyExpvar, { url: true })
// @ts-expect-error timeout is a number of milliseconds
await app.register(fastifyExpvar, { timeout: '1s' })
await app.register(fastifyExpvar, { ui: true })
await app.register(fastifyExpvar, { ui: { url: '/ops/vars' } })
expectTypeOf({}).toExtend<FastifyExpvarOptions['ui']>()
// @ts-expect-error ui is true or { url }
await app.register(fastifyExpvar, { ui: '/ops/vars' })
// @ts-expect-error the dashboard's url is a path
await app.register(fastifyExpvar, { ui: { url: false } })
// @ts-expect-error an unknown key of ui
await app.register(fastifyExpvar, { ui: { path: '/ops/vars' } })

expectTypeOf(app.expvar).toEqualTypeOf<Registry>()
expectTypeOf(app.expvar.int('requests')).toEqualTypeOf<IntVar>()
expectTypeOf(app.expvar.float('load')).toEqualTypeOf<FloatVar>()
expectTypeOf(app.expvar.string('mode')).toEqualTypeOf<StringVar>()
expectTypeOf(app.expvar.map('routes')).toEqualTypeOf<MapVar>()
expectTypeOf(app.expvar.func('queue', () => 3)).toEqualTypeOf<FuncVar>()
// @ts-expect-error a var name is a string
app.expvar.int(42)
// @ts-expect-error an Int adds numbers
app.expvar.int('n').add('1')
// @ts-expect-error a String is set to a string
app.expvar.string('s').set(1)
// @ts-expect-error a Map key is a string
app.expvar.map('m').add(1, 1)

expectTypeOf(app.expvar.register('queue', () => 1)).toEqualTypeOf<Var>()
expectTypeOf(app.expvar.register('async', async () => ({ a: 1 }))).toEqualTypeOf<Var>()
expectTypeOf(app.expvar.register('custom', { value: () => 1, string: () => '1' })).toEqualTypeOf<Var>()
expectTypeOf(app.expvar.register({ name: 'obj', value: () => 1 })).toEqualTypeOf<Var>()
class Example extends ExpVar {
  name = 'example'
  value (): number { return 42 }
}
expectTypeOf(app.expvar.register(Example)).toEqualTypeOf<Var>()
expectTypeOf(app.expvar.register(new Example())).toEqualTypeOf<Var>()
// @ts-expect-error a number is not a var
app.expvar.register('x', 42)
// @ts-expect-error a var object needs value()
app.expvar.register({ name: 'x' })

expectTypeOf(app.expvar.get('x')).toEqualTypeOf<Var | undefined>()
expectTypeOf(app.expvar.delete('x')).toEqualTypeOf<boolean>()
expectTypeOf(app.expvar.names()).toEqualTypeOf<string[]>()
app.expvar.do((kv) => { expectTypeOf(kv).toEqualTypeOf<KeyValue>(); expectTypeOf(kv.value.string()).toEqualTypeOf<string>() })
app.expvar.map('m').do((kv) => { expectTypeOf(kv).toEqualTypeOf<MapKeyValue>(); expectTypeOf(kv.value).toEqualTypeOf<Var | null>() })
expectTypeOf(app.expvar.snapshot()).toEqualTypeOf<Promise<Record<string, unknown>>>()
expectTypeOf(app.expvar.document({ vars: ['a'] })).toEqualTypeOf<Promise<string>>()

expectTypeOf(defineExpvars(Example, new Example(), { name: 'x', value: () => 1 })).toExtend<FastifyPluginAsync>()
// @ts-expect-error a number is not a var
defineExpvars(42)
expectTypeOf({ cmdline: true }).toExtend<FastifyExpvarOptions>()
expectTypeOf(new errors.FST_EXPVAR_INVALID_OPTION('a', 'b')).toExtend<Error>()
// The coded errors are typed, not any, whichever moduleResolution reads them.
expectTypeOf(errors.FST_EXPVAR_WRONG_KIND).not.toBeAny()
expectTypeOf(new errors.FST_EXPVAR_WRONG_KIND('a', 'b', 'c').code).toEqualTypeOf<'FST_EXPVAR_WRONG_KIND'>()

// Refused at run time, so refused by the types too.
// @ts-expect-error prefix is ignored by a fastify-plugin-wrapped plugin, so it is refused: use url
await app.register(fastifyExpvar, { prefix: '/x' })
// @ts-expect-error a given registry keeps its own timeout
await app.register(fastifyExpvar, { registry: new Registry(), timeout: 100 })
// @ts-expect-error a given registry keeps its own collisions
await app.register(fastifyExpvar, { registry: new Registry(), collisions: 'error' })
await app.register(fastifyExpvar, { cluster: true })
await app.register(fastifyExpvar, { cluster: { timeout: 500 } })
expectTypeOf({}).toExtend<ClusterOptions>()
// @ts-expect-error the cluster's timeout is a number of milliseconds
await app.register(fastifyExpvar, { cluster: { timeout: '1s' } })
// @ts-expect-error an unknown key of cluster
await app.register(fastifyExpvar, { cluster: { workers: 4 } })
expectTypeOf(aggregateWorkers()).toEqualTypeOf<WorkerAggregator>()
expectTypeOf(aggregateWorkers().stop()).toEqualTypeOf<void>()
expectTypeOf(new errors.FST_EXPVAR_NOT_PRIMARY()).toExtend<Error>()
// Prometheus: the option and registry.metrics().
await app.register(fastifyExpvar, { prometheus: true })
await app.register(fastifyExpvar, { prometheus: { url: '/metrics', namespace: 'shop' } })
// @ts-expect-error the exposition's url is a path
await app.register(fastifyExpvar, { prometheus: { url: 1 } })
// @ts-expect-error prometheus is true or an object
await app.register(fastifyExpvar, { prometheus: 'yes' })
expectTypeOf(app.expvar.metrics()).toEqualTypeOf<Promise<string>>()
expectTypeOf(app.expvar.metrics({ openmetrics: true, namespace: 'shop', vars: ['requests'] })).toEqualTypeOf<Promise<string>>()
// @ts-expect-error openmetrics is a boolean
app.expvar.metrics({ openmetrics: 'yes' })

// A format of your own: open() a writer that gets a reading at a time, then ends the body.
const lines: Format = {
  id: 'lines',
  open (): Writer {
    let out = ''
    return { add: (reading) => { out += reading.name + '\n' }, end: () => out }
  }
}
expectTypeOf(app.expvar.scrape(lines)).toEqualTypeOf<Promise<string>>()
expectTypeOf(app.expvar.scrape(lines, { vars: ['requests'] })).toEqualTypeOf<Promise<string>>()
// @ts-expect-error a format is { id, open }: write() alone is not one
app.expvar.scrape({ id: 'old', write: () => '' })
// @ts-expect-error a writer's end() is required
const unended: Format = { ...lines, open: () => ({ add: () => {} }) }
export { unended }

// Histograms: prom-client's methods, the label names typed from meta.labels.
const latency = app.expvar.histogram('latency', { labels: ['method', 'route'], buckets: [0.1, 1], help: 'Latency.' })
expectTypeOf(latency).toEqualTypeOf<HistogramVar<'method' | 'route'>>()
latency.observe(0.2)
latency.observe({ method: 'GET', route: '/a' }, 0.2)
latency.observe({ route: '/a' }, 0.2)
// @ts-expect-error a label the histogram does not have
latency.observe({ path: '/a' }, 0.2)
// @ts-expect-error an observation is a number
latency.observe('0.2')
// @ts-expect-error a label value is a string or a number
latency.observe({ method: true }, 0.2)
const end = latency.startTimer({ method: 'GET' })
expectTypeOf(end).toEqualTypeOf<(labels?: Partial<Record<'method' | 'route', string | number>>) => number>()
expectTypeOf(end({ route: '/a' })).toEqualTypeOf<number>()
expectTypeOf(latency.labels('GET', '/a')).toEqualTypeOf<HistogramChild<'method' | 'route'>>()
expectTypeOf(latency.labels({ method: 'GET' }).startTimer()()).toEqualTypeOf<number>()
expectTypeOf(latency.value()).toEqualTypeOf<HistogramDocument>()
expectTypeOf(latency.reset()).toEqualTypeOf<void>()
expectTypeOf(app.expvar.histogram('sizes')).toEqualTypeOf<HistogramVar>()
expectTypeOf({ count: 1, sum: 1, buckets: { '+Inf': 1 }, p50: null, p90: 1, p99: 1 }).toExtend<HistogramLeaf>()
expectTypeOf({ buckets: [1, 2], labels: ['a'], maxSeries: 10 }).toExtend<HistogramMeta>()
// @ts-expect-error buckets are numbers
app.expvar.histogram('bad', { buckets: ['1'] })
// @ts-expect-error a histogram has no Prometheus type of its own to set
app.expvar.histogram('bad', { type: 'counter' })
const standalone = new HistogramVar({ labels: ['queue'] })
expectTypeOf(standalone).toEqualTypeOf<HistogramVar<'queue'>>()
expectTypeOf(app.expvar.register('standalone', standalone)).toEqualTypeOf<Var>()
expectTypeOf(new HistogramVar()).toEqualTypeOf<HistogramVar>()
