// README.md and every docs/*.md page run as written: every ```ts/```js block is marked,
// type-checks under strict tsc (module nodenext) against the packed tarball in one scratch app,
// and runs there without an error.
//
// Markers, an HTML comment on the line before the fence, with words after `run:` joined by commas:
//   <!-- run -->                 a whole module: compiled and run on its own
//   <!-- run: server.ts -->      the same, under that file name
//   <!-- run: with app -->       continues the three lines PRELUDE holds (the page says so)
//   <!-- run: tsx -->            run with tsx itself (`npx tsx file.ts`), as the page tells a user
//   <!-- run: …, throws CODE --> runs, and must fail with that error code
//   <!-- run: …, refuses -->     an auth example: run with its secrets unset, every request the
//                                harness makes (no credentials, `Bearer undefined`, `ops:undefined`,
//                                empty ones) must be refused with 401/403; run again with each
//                                `process.env.NAME` it reads set, the right credentials get a 200
//   <!-- file: apps/x/expvars/y.ts -->  a file the other blocks use: written there, type-checked
// A run block's servers are moved to 127.0.0.1 on a free port and scraped once
// (fixtures/readme/listen.mjs). A block fails on a type error, a non-zero exit, a log line at
// warn or above, a process warning, or (after listening) a 5xx from its /debug/vars.
import { execFile } from 'node:child_process'
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import { test } from 'tap'
import { cleanEnv, root, scratchApp, tsc } from '../packed.js'

const PRELUDE = [
  "import Fastify from 'fastify'",
  "import expvar from 'fastify-expvar'",
  'const app = Fastify({ logger: true })'
].join('\n')
// After a "with app" block: pull every var once, so a var that throws at scrape time is logged.
const POSTLUDE = '\nawait app.ready()\nawait app.expvar.document()\n'
// After a "with app" block that refuses: listen, so that the harness can knock.
const LISTEN = '\nawait app.listen({ port: 3000 })\n'
const TIMEOUT = 20_000
const PARALLEL = 4
const WARN = 40
// The secret a refusing block is given for its second run, where the right credentials must get in.
const SECRET = 'readme-secret'
const SECRET_ENV = /process\.env\.([A-Z][A-Z0-9_]*)/g
// File blocks under this folder are the fixture app of test/generated.test.ts, shown as it is.
const GENERATED = 'generated/'

interface Block {
  /** The page, relative to the repository: README.md, docs/x.md. */
  page: string
  /** 1-based line of the opening fence in the page. */
  line: number
  lang: string
  marker: string | undefined
  code: string
}

function where (block: Block): string {
  return `${block.page}:${block.line}`
}

function readBlocks (page: string, text: string): Block[] {
  const lines = text.split('\n')
  const blocks: Block[] = []
  for (let i = 0; i < lines.length; i++) {
    const fence = /^```(\w*)/.exec(lines[i] ?? '')
    if (fence === null) continue
    const end = lines.indexOf('```', i + 1)
    if (end === -1) throw new Error(`${page}:${i + 1}: a fence that is never closed`)
    const marker = /^<!-- ((?:run|file)(?::[^>]*)?) -->$/.exec(lines[i - 1] ?? '')?.[1]
    blocks.push({ page, line: i + 1, lang: fence[1] ?? '', marker, code: lines.slice(i + 1, end).join('\n') + '\n' })
    i = end
  }
  return blocks
}

/** README.md, then the docs pages by name. */
async function readPages (): Promise<Block[]> {
  const docs = (await readdir(join(root, 'docs'))).filter((name) => name.endsWith('.md')).sort().map((name) => `docs/${name}`)
  const blocks: Block[] = []
  for (const page of ['README.md', ...docs]) blocks.push(...readBlocks(page, await readFile(join(root, page), 'utf8')))
  return blocks
}

interface Plan {
  block: Block
  /** Path in the scratch app, relative to it. */
  path: string
  /** The file node runs, relative to the scratch app; undefined for a `file:` block. */
  main: string | undefined
  withApp: boolean
  tsx: boolean
  throws: string | undefined
  /** For a refusing block: the environment variables its secrets come from. */
  secrets: string[] | undefined
}

function plan (block: Block): Plan {
  const [kind = '', ...rest] = (block.marker ?? '').split(':')
  const words = rest.join(':').split(',').map((word) => word.trim()).filter((word) => word !== '')
  if (kind === 'file') {
    const [path] = words
    if (path === undefined) throw new Error(`${where(block)}: <!-- file: --> names no path`)
    return { block, path, main: undefined, withApp: false, tsx: false, throws: undefined, secrets: undefined }
  }
  const stem = block.page.replace(/\.md$/, '').replace(/\W+/g, '-').toLowerCase()
  const name = words.find((word) => /\.(?:m?ts|c?js|mjs)$/.test(word)) ?? `${stem}-${block.line}.${block.lang === 'js' ? 'mjs' : 'ts'}`
  const throws = words.find((word) => word.startsWith('throws '))?.slice('throws '.length)
  const tsx = words.includes('tsx')
  const secrets = words.includes('refuses') ? [...new Set([...block.code.matchAll(SECRET_ENV)].map((match) => match[1] as string))] : undefined
  // tsc writes out/x.js for x.ts; JavaScript blocks are copied to out/ as they are; tsx runs the source.
  const main = tsx ? name : join('out', name.replace(/\.ts$/, '.js').replace(/\.mts$/, '.mjs'))
  return { block, path: /\.(?:c|m)?js$/.test(name) ? main : name, main, withApp: words.includes('with app'), tsx, throws, secrets }
}

function source (item: Plan): string {
  if (!item.withApp) return item.block.code
  const after = item.throws !== undefined ? '' : item.secrets !== undefined ? LISTEN : POSTLUDE
  return `${PRELUDE}\n${item.block.code}${after}`
}

/** The pino level of a log line, or 0 for any other output (a block's own console.log). */
function logLevel (text: string): number {
  if (!text.startsWith('{"level":')) return 0
  const { level } = JSON.parse(text) as { level: unknown }
  return typeof level === 'number' ? level : 0
}

/** The harness's report lines: `readme-harness: <what> <status>`. */
function reports (stderr: string, what: string): string[] {
  const prefix = `readme-harness: ${what} `
  return stderr.split('\n').filter((line) => line.startsWith(prefix)).map((line) => line.slice(prefix.length))
}

/** What the harness does once the block listens: scrape once, or knock to be refused, or to be let in. */
type Probe = 'scrape' | 'refuse' | 'admit'

function runBlock (dir: string, item: Plan & { main: string }, probe: Probe): Promise<string> {
  return new Promise((resolve) => {
    // tap's process tracker adds itself to every child; its coverage of the tarball is not ours.
    const env: NodeJS.ProcessEnv = { ...cleanEnv, _TAPJS_PROCESSINFO_COVERAGE_: '0', README_HARNESS_PROBE: probe }
    if (probe === 'admit') {
      env.README_HARNESS_SECRET = SECRET
      for (const name of item.secrets ?? []) env[name] = SECRET
    }
    const preload = `--import=${join(root, 'test', 'fixtures', 'readme', 'listen.mjs')}`
    const args = item.tsx ? [join(dir, 'node_modules', 'tsx', 'dist', 'cli.mjs'), preload, item.main] : [preload, item.main]
    execFile(process.execPath, args, { cwd: dir, env, timeout: TIMEOUT, killSignal: 'SIGKILL' }, (err, stdout, stderr) => {
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
      const [scraped] = reports(stderr, 'GET /debug/vars')
      if (scraped !== undefined && Number(scraped) >= 500) problems.push(`GET /debug/vars answered ${scraped}`)
      if (probe === 'refuse') {
        const knocks = reports(stderr, 'refuse')
        if (knocks.length === 0) problems.push('the harness knocked at no route: does the block listen?')
        // Each line: "<url> <credentials> <status>"; a route the block does not have answers 404.
        for (const knock of knocks) {
          const [url, , status] = knock.split(' ')
          const refused = status === '401' || status === '403' || (status === '404' && url !== '/debug/vars')
          if (!refused) problems.push(`not refused: GET ${knock}`)
        }
      }
      if (probe === 'admit' && !reports(stderr, 'admit').some((knock) => knock.endsWith(' 200'))) {
        problems.push(`with ${(item.secrets ?? []).join(', ') || 'no variable'} set to the secret, no credentials got in: ${reports(stderr, 'admit').join('; ')}`)
      }
      resolve(problems.join('\n'))
    })
  })
}

test('every TypeScript and JavaScript block of the README and the docs pages is marked, type-checks and runs', async (t) => {
  const blocks = await readPages()
  const code = blocks.filter((block) => block.lang === 'ts' || block.lang === 'js')
  t.ok(code.some((block) => block.page.startsWith('docs/')), 'the docs pages are read too')
  t.same(code.filter((block) => block.marker === undefined).map(where), [],
    'every ts/js block is marked <!-- run … --> or <!-- file: … -->')
  t.same(blocks.filter((block) => block.marker !== undefined && block.lang !== 'ts' && block.lang !== 'js').map(where), [],
    'only ts/js blocks are marked')

  // One file may be shown on two pages (the README's excerpt of a docs page), but only as the same code.
  const plans = code.filter((block) => block.marker !== undefined).map(plan)
    .filter((item, i, all) => all.findIndex((other) => other.path === item.path && other.block.code === item.block.code) === i)
  const paths = plans.map((item) => item.path)
  t.same(paths.filter((path, i) => paths.indexOf(path) !== i), [], 'no two blocks write one file')
  // The generator-layout app the docs show is the one test/generated.test.ts runs.
  const generated = plans.filter((item) => item.path.startsWith(GENERATED))
  t.ok(generated.length > 0, 'the docs show the generator-layout app')
  for (const item of generated) {
    t.equal(item.block.code, await readFile(join(root, 'test', 'fixtures', item.path), 'utf8'), `${where(item.block)} is test/fixtures/${item.path}`)
  }
  t.same(plans.filter((item) => item.secrets !== undefined && item.secrets.length === 0).map((item) => where(item.block)), [],
    'every refusing block reads its secret from process.env')
  t.same(plans.filter((item) => item.secrets === undefined && /authorization/i.test(item.block.code) && item.main !== undefined).map((item) => where(item.block)), [],
    'every block that checks credentials is marked refuses')

  const { dir, remove } = await scratchApp('readme', ['@types/node', 'tsx', '@fastify/autoload'])
  t.teardown(remove)
  for (const item of plans) {
    await mkdir(dirname(join(dir, item.path)), { recursive: true })
    await writeFile(join(dir, item.path), source(item))
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

  const runs: { item: Plan & { main: string }, probe: Probe }[] = plans
    .filter((item): item is Plan & { main: string } => item.main !== undefined)
    .flatMap((item) => (item.secrets === undefined ? ['scrape' as const] : ['refuse' as const, 'admit' as const]).map((probe) => ({ item, probe })))
  const results: { label: string, problems: string }[] = []
  let next = 0
  await Promise.all(Array.from({ length: PARALLEL }, async () => {
    while (next < runs.length) {
      const run = runs[next++]
      if (run === undefined) continue
      const { item, probe } = run
      const label = `${where(item.block)} ${probe === 'scrape' ? 'runs' : probe === 'refuse' ? 'refuses every request while its secret is unset' : 'lets the right credentials in once its secret is set'} (${item.tsx ? 'tsx ' : ''}${item.main})`
      results.push({ label, problems: await runBlock(dir, item, probe) })
    }
  }))
  for (const { label, problems } of results) t.equal(problems, '', label)
})
