// Every sample the plugin can emit passes promtool's parser and lint (`promtool check metrics`, exit 0).
import Fastify from 'fastify'
import { test } from 'tap'
import expvar from '../../index.js'
import { haveTool, promtoolCheck, publishEverything } from '../prometheus-tools.js'

test('promtool check metrics passes the exposition of every builtin, var kind, metadata variant and weird name', async (t) => {
  if (!haveTool(t, 'promtool')) return
  for (const namespace of ['', 'svc']) {
    const app = Fastify()
    await app.register(expvar, { prometheus: { namespace }, builtins: ['resource', 'process', 'eventloop', 'gc', 'http'] })
    publishEverything(app.expvar)
    await app.inject('/debug/vars')
    const res = await app.inject('/metrics')
    t.equal(res.statusCode, 200)
    const { code, output } = await promtoolCheck(res.body)
    t.equal(code, 0, `namespace "${namespace}": promtool exits 0`)
    t.equal(output, '', `namespace "${namespace}": promtool has nothing to say`)
    // What promtool checks is what there is: the vars, the builtins and the Map's label values.
    const ns = namespace === '' ? '' : namespace + '_'
    for (const line of [ns + 'hits_total{route="/quote\\"back\\\\slash\\nnewline"} 1', 'nodejs_heap_size_used_bytes ', 'process_cpu_seconds_total ', 'nodejs_eventloop_lag_p99_seconds ', 'http_requests_total ']) {
      t.ok(res.body.includes(line), `has ${line}`)
    }
    await app.close()
  }
})
