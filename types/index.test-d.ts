// Type tests of the public API, run by tsd against the built declarations.
import Fastify, { type FastifyPluginAsync } from 'fastify'
import { expectAssignable, expectError, expectType } from 'tsd'
import fastifyExpvar, {
  ExpVar, FloatVar, FuncVar, IntVar, MapVar, Registry, StringVar, aggregateWorkers, defineExpvars, errors,
  type ClusterOptions, type FastifyExpvarOptions, type Format, type WorkerAggregator, type KeyValue, type MapKeyValue, type Var, type Writer
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
expectError(await app.register(fastifyExpvar, { builtins: ['gc'] }))
expectError(await app.register(fastifyExpvar, { collisions: 'ignore' }))
expectError(await app.register(fastifyExpvar, { url: true }))
expectError(await app.register(fastifyExpvar, { timeout: '1s' }))
await app.register(fastifyExpvar, { ui: true })
await app.register(fastifyExpvar, { ui: { url: '/ops/vars' } })
expectAssignable<FastifyExpvarOptions['ui']>({})
expectError(await app.register(fastifyExpvar, { ui: '/ops/vars' }))
expectError(await app.register(fastifyExpvar, { ui: { url: false } }))
expectError(await app.register(fastifyExpvar, { ui: { path: '/ops/vars' } }))

expectType<Registry>(app.expvar)
expectType<IntVar>(app.expvar.int('requests'))
expectType<FloatVar>(app.expvar.float('load'))
expectType<StringVar>(app.expvar.string('mode'))
expectType<MapVar>(app.expvar.map('routes'))
expectType<FuncVar>(app.expvar.func('queue', () => 3))
expectError(app.expvar.int(42))
expectError(app.expvar.int('n').add('1'))
expectError(app.expvar.string('s').set(1))
expectError(app.expvar.map('m').add(1, 1))

expectType<Var>(app.expvar.register('queue', () => 1))
expectType<Var>(app.expvar.register('async', async () => ({ a: 1 })))
expectType<Var>(app.expvar.register('custom', { value: () => 1, string: () => '1' }))
expectType<Var>(app.expvar.register({ name: 'obj', value: () => 1 }))
class Example extends ExpVar {
  name = 'example'
  value (): number { return 42 }
}
expectType<Var>(app.expvar.register(Example))
expectType<Var>(app.expvar.register(new Example()))
expectError(app.expvar.register('x', 42))
expectError(app.expvar.register({ name: 'x' }))

expectType<Var | undefined>(app.expvar.get('x'))
expectType<boolean>(app.expvar.delete('x'))
expectType<string[]>(app.expvar.names())
app.expvar.do((kv) => { expectType<KeyValue>(kv); expectType<string>(kv.value.string()) })
app.expvar.map('m').do((kv) => { expectType<MapKeyValue>(kv); expectType<Var | null>(kv.value) })
expectType<Promise<Record<string, unknown>>>(app.expvar.snapshot())
expectType<Promise<string>>(app.expvar.document({ vars: ['a'] }))

expectAssignable<FastifyPluginAsync>(defineExpvars(Example, new Example(), { name: 'x', value: () => 1 }))
expectError(defineExpvars(42))
expectAssignable<FastifyExpvarOptions>({ cmdline: true })
expectAssignable<Error>(new errors.FST_EXPVAR_INVALID_OPTION('a', 'b'))

// Refused at run time, so refused by the types too.
expectError(await app.register(fastifyExpvar, { prefix: '/x' }))
expectError(await app.register(fastifyExpvar, { registry: new Registry(), timeout: 100 }))
expectError(await app.register(fastifyExpvar, { registry: new Registry(), collisions: 'error' }))
await app.register(fastifyExpvar, { cluster: true })
await app.register(fastifyExpvar, { cluster: { timeout: 500 } })
expectAssignable<ClusterOptions>({})
expectError(await app.register(fastifyExpvar, { cluster: { timeout: '1s' } }))
expectError(await app.register(fastifyExpvar, { cluster: { workers: 4 } }))
expectType<WorkerAggregator>(aggregateWorkers())
expectType<void>(aggregateWorkers().stop())
expectAssignable<Error>(new errors.FST_EXPVAR_NOT_PRIMARY())
// Prometheus: the option and registry.metrics().
await app.register(fastifyExpvar, { prometheus: true })
await app.register(fastifyExpvar, { prometheus: { url: '/metrics', namespace: 'shop' } })
expectError(await app.register(fastifyExpvar, { prometheus: { url: 1 } }))
expectError(await app.register(fastifyExpvar, { prometheus: 'yes' }))
expectType<Promise<string>>(app.expvar.metrics())
expectType<Promise<string>>(app.expvar.metrics({ openmetrics: true, namespace: 'shop', vars: ['requests'] }))
expectError(app.expvar.metrics({ openmetrics: 'yes' }))

// A format of your own: write in one piece, or open() a writer that gets a reading at a time.
const lines: Format = { id: 'lines', own: 'value', write: (readings) => readings.map((reading) => reading.name).join('\n') }
expectType<Promise<string>>(app.expvar.scrape(lines))
const sliced: Format = {
  ...lines,
  open (): Writer {
    let out = ''
    return { add: (reading) => { out += reading.name + '\n' }, end: () => out }
  }
}
expectType<Promise<string>>(app.expvar.scrape(sliced, { vars: ['requests'] }))
expectError<Format>({ ...lines, open: () => ({ add: () => {} }) })
