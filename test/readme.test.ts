// README.md runs as written: every ```ts/```js block is marked, type-checks under strict tsc
// (module nodenext) against the packed tarball in a scratch app, and runs there without an error.
//
// Markers, an HTML comment on the line before the fence:
//   <!-- run -->                 a whole module: compiled and run on its own
//   <!-- run: server.ts -->      the same, under that file name
//   <!-- run: with app -->       continues the Quick start's first three lines (PRELUDE below)
//   <!-- run: …, throws CODE --> runs, and must fail with that error code
//   <!-- file: apps/x/expvars/y.ts -->  a file the other blocks use: written there, type-checked
// A run block's servers are moved to 127.0.0.1 on a free port and scraped once
// (fixtures/readme/listen.mjs). A block fails on a type error, a non-zero exit, a log line at
// warn or above, a process warning, or (after listening) a 5xx from its /debug/vars.
import { execFile } from 'node:child_process'
import { mkdir, readFile, writeFile } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import { test } from 'tap'
import { cleanEnv, root, scratchApp, tsc } from './packed.js'

const PRELUDE = [
  "import Fastify from 'fastify'",
  "import expvar from 'fastify-expvar'",
  'const app = Fastify({ logger: true })'
].join('\n')
// After a "with app" block: pull every var once, so a var that throws at scrape time is logged.
const POSTLUDE = '\nawait app.ready()\nawait app.expvar.document()\n'
const TIMEOUT = 20_000
const PARALLEL = 4
const WARN = 40

interface Block {
  /** 1-based line of the opening fence in README.md. */
  line: number
  lang: string
  marker: string | undefined
  code: string
}

function readBlocks (readme: string): Block[] {
  const lines = readme.split('\n')
  const blocks: Block[] = []
  for (let i = 0; i < lines.length; i++) {
    const fence = /^```(\w*)/.exec(lines[i] ?? '')
    if (fence === null) continue
    const end = lines.indexOf('```', i + 1)
    if (end === -1) throw new Error(`README.md:${i + 1}: a fence that is never closed`)
    const marker = /^<!-- ((?:run|file)(?::[^>]*)?) -->$/.exec(lines[i - 1] ?? '')?.[1]
    blocks.push({ line: i + 1, lang: fence[1] ?? '', marker, code: lines.slice(i + 1, end).join('\n') + '\n' })
    i = end
  }
  return blocks
}

interface Plan {
  block: Block
  /** Path in the scratch app, relative to it. */
  path: string
  /** The file node runs, relative to the scratch app; undefined for a `file:` block. */
  main: string | undefined
  withApp: boolean
  throws: string | undefined
}

function plan (block: Block): Plan {
  const [kind = '', ...rest] = (block.marker ?? '').split(':')
  const words = rest.join(':').split(',').map((word) => word.trim()).filter((word) => word !== '')
  if (kind === 'file') {
    const [path] = words
    if (path === undefined) throw new Error(`README.md:${block.line}: <!-- file: --> names no path`)
    return { block, path, main: undefined, withApp: false, throws: undefined }
  }
  const name = words.find((word) => /\.(?:m?ts|c?js|mjs)$/.test(word)) ?? `readme-${block.line}.${block.lang === 'js' ? 'mjs' : 'ts'}`
  const throws = words.find((word) => word.startsWith('throws '))?.slice('throws '.length)
  // tsc writes out/x.js for x.ts; JavaScript blocks are copied to out/ as they are.
  const main = join('out', name.replace(/\.ts$/, '.js').replace(/\.mts$/, '.mjs'))
  return { block, path: /\.(?:c|m)?js$/.test(name) ? main : name, main, withApp: words.includes('with app'), throws }
}

/** The pino level of a log line, or 0 for any other output (a block's own console.log). */
function logLevel (text: string): number {
  if (!text.startsWith('{"level":')) return 0
  const { level } = JSON.parse(text) as { level: unknown }
  return typeof level === 'number' ? level : 0
}

function runBlock (dir: string, item: Plan & { main: string }): Promise<string> {
  return new Promise((resolve) => {
    // tap's process tracker adds itself to every child; its coverage of the tarball is not ours.
    const env = { ...cleanEnv, _TAPJS_PROCESSINFO_COVERAGE_: '0' }
    const preload = `--import=${join(root, 'test', 'fixtures', 'readme', 'listen.mjs')}`
    execFile(process.execPath, [preload, item.main], { cwd: dir, env, timeout: TIMEOUT, killSignal: 'SIGKILL' }, (err, stdout, stderr) => {
      const problems: string[] = []
      if (item.throws !== undefined) {
        if (err === null) problems.push(`expected to fail with ${item.throws}, but it exited 0`)
        else if (!stderr.includes(item.throws)) problems.push(`expected ${item.throws}, got:\n${stderr}`)
      } else if (err !== null) {
        problems.push(`${err.killed ? `killed after ${TIMEOUT} ms` : `exited ${String(err.code)}`}:\n${stderr}`)
      }
      for (const text of stdout.split('\n')) {
        if (logLevel(text) >= WARN) problems.push(`logged: ${text}`)
      }
      if (/\bWarning: /.test(stderr)) problems.push(`a process warning:\n${stderr}`)
      const scraped = /readme-harness: GET \/debug\/vars (\d+)/.exec(stderr)?.[1]
      if (scraped !== undefined && Number(scraped) >= 500) problems.push(`GET /debug/vars answered ${scraped}`)
      resolve(problems.join('\n'))
    })
  })
}

test('every TypeScript and JavaScript block of the README is marked, type-checks and runs', async (t) => {
  const blocks = readBlocks(await readFile(join(root, 'README.md'), 'utf8'))
  const code = blocks.filter((block) => block.lang === 'ts' || block.lang === 'js')
  t.same(code.filter((block) => block.marker === undefined).map((block) => `README.md:${block.line}`), [],
    'every ts/js block is marked <!-- run … --> or <!-- file: … -->')
  t.same(blocks.filter((block) => block.marker !== undefined && block.lang !== 'ts' && block.lang !== 'js').map((block) => `README.md:${block.line}`), [],
    'only ts/js blocks are marked')

  const plans = code.filter((block) => block.marker !== undefined).map(plan)
  const paths = plans.map((item) => item.path)
  t.same(paths.filter((path, i) => paths.indexOf(path) !== i), [], 'no two blocks write one file')

  const { dir, remove } = await scratchApp('readme', ['@types/node'])
  t.teardown(remove)
  for (const item of plans) {
    const source = item.withApp ? `${PRELUDE}\n${item.block.code}${item.throws === undefined ? POSTLUDE : ''}` : item.block.code
    await mkdir(dirname(join(dir, item.path)), { recursive: true })
    await writeFile(join(dir, item.path), source)
  }
  await writeFile(join(dir, 'tsconfig.json'), JSON.stringify({
    compilerOptions: {
      module: 'nodenext',
      moduleResolution: 'nodenext',
      target: 'ES2022',
      strict: true,
      outDir: 'out',
      rootDir: '.',
      skipLibCheck: true,
      types: ['node']
    },
    include: ['**/*.ts'],
    exclude: ['node_modules', 'out']
  }))
  t.equal(await tsc(dir), '', 'the blocks type-check (strict, nodenext) against the packed types')

  const runnable = plans.filter((item): item is Plan & { main: string } => item.main !== undefined)
  const results = new Map<Plan, string>()
  let next = 0
  await Promise.all(Array.from({ length: PARALLEL }, async () => {
    while (next < runnable.length) {
      const item = runnable[next++]
      if (item !== undefined) results.set(item, await runBlock(dir, item))
    }
  }))
  for (const [item, problems] of results) t.equal(problems, '', `README.md:${item.block.line} runs (${item.main})`)
})
