// The public types' own tests (types/index.test-d.ts, expectType/expectError) under tsd, against
// the declarations tap's before step has just built and packed: part of every tap run.
import { createRequire } from 'node:module'
import { join } from 'node:path'
import tap, { test } from 'tap'

// tsd is CommonJS whose named exports Node's ESM import cannot see.
const { default: tsd, formatter } = createRequire(import.meta.url)('tsd') as typeof import('tsd')

// tsd type-checks the declarations and every test of them: tens of seconds on a loaded 2-core machine.
tap.setTimeout(300_000)

test('the type tests in types/ hold against the built declarations (tsd)', async (t) => {
  const diagnostics = await tsd({ cwd: join(import.meta.dirname, '..') })
  t.equal(formatter(diagnostics), '', 'no diagnostics')
  t.equal(diagnostics.length, 0)
})
