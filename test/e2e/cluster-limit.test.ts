// A cluster document past V8's string limit answers as a single process's does: the longest var
// is left out until the rest fits, and the rest is served. On a real node:cluster of two workers.
import { constants } from 'node:buffer'
import { request } from 'node:http'
import t, { test } from 'tap'
import { startCluster } from '../cluster-fixture.js'
import { packedPlugin } from '../packed.js'

// Hundreds of MB through IPC and a socket: longer than tap's default file timeout on a loaded machine.
t.setTimeout(300_000)

const MAX_TEXT = constants.MAX_STRING_LENGTH
// Each worker's var alone fits; both do not: '<' is written \u003c, six characters.
const HUGE = Math.ceil(MAX_TEXT / 12) + 1_000_000

/** GET path: the status, the body's length in bytes, and its first and last bytes (the body is hundreds of MB). */
function measure (port: number, path: string): Promise<{ status: number, length: number, head: string, tail: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, agent: false }, (res) => {
      let length = 0
      let head = ''
      let tail = ''
      res.on('data', (chunk: Buffer) => {
        length += chunk.length
        if (head.length < 64) head += chunk.subarray(0, 64).toString('latin1')
        tail = (tail + chunk.subarray(-512).toString('latin1')).slice(-512)
      })
      res.on('end', () => resolve({ status: res.statusCode as number, length, head, tail }))
    })
    req.on('error', reject)
    // Bounded: a request that hangs fails the test with a message rather than its timeout.
    req.setTimeout(250_000, () => req.destroy(new Error(`GET ${path} got no answer in 250 s`)))
    req.end()
  })
}

test('a cluster document longer than V8\'s longest string leaves the longest var out and serves the rest', { timeout: 300_000 }, async (t) => {
  const unpacked = await packedPlugin('cluster-limit')
  t.teardown(() => unpacked.remove())
  const port = await startCluster(t, unpacked.entry, { HUGE: String(HUGE), CLUSTER_TIMEOUT: '60000', PROMETHEUS: '0' }, 280_000)
  const { status, length, head, tail } = await measure(port, '/debug/vars?vars=cluster,hits,huge1,huge2')
  t.equal(status, 200, 'answered, not a 500')
  t.ok(head.startsWith('{\n"cluster": {"workers":2,"answered":2,'), 'both workers answered')
  const huge1 = '"huge1": "'.length + 6 * (HUGE + 1) + 1
  t.ok(tail.endsWith('"\n}\n') && !tail.includes('huge2'), 'huge2, the longer, is left out')
  t.ok(length > huge1 && length < huge1 + 1024, `huge1 is served whole (${length} bytes)`)
  t.ok(tail.includes('\\u003c\\u003c"'), 'its text ends as written')
})
