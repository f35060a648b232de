// Every consumer style works from the packed tarball, as it is published: import default, import
// named, require(), register(import()), and TypeScript sees typed app.expvar.
import { execFile } from 'node:child_process'
import { mkdtemp, rm, stat, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { test } from 'tap'

const run = promisify(execFile)
const root = join(import.meta.dirname, '..')
// Children run without tap's loader and coverage hooks: they see only what a user would.
const env = { PATH: process.env.PATH, HOME: process.env.HOME }

const consumers: Record<string, string> = {
  'default.mjs': `
    import Fastify from 'fastify'
    import fastifyExpvar from 'fastify-expvar'
    const app = Fastify()
    await app.register(fastifyExpvar, { memstats: false })
    app.expvar.int('style').add(1)`,
  'named.mjs': `
    import Fastify from 'fastify'
    import { fastifyExpvar, Registry } from 'fastify-expvar'
    const app = Fastify()
    await app.register(fastifyExpvar, { memstats: false, registry: new Registry() })
    app.expvar.int('style').add(2)`,
  'require.cjs': `
    const Fastify = require('fastify')
    const fastifyExpvar = require('fastify-expvar')
    const app = Fastify()
    ;(async () => {
    await app.register(fastifyExpvar, { memstats: false })
    app.expvar.int('style').add(3)`,
  'dynamic.mjs': `
    import Fastify from 'fastify'
    const app = Fastify()
    await app.register(import('fastify-expvar'), { memstats: false })
    app.expvar.int('style').add(4)`
}

const printScrape = `
  const body = (await app.inject('/debug/vars?vars=style')).body
  process.stdout.write(body)`

test('the packed tarball works for every consumer style', async (t) => {
  // A consumer outside the repository, so that nothing resolves from the repository's node_modules:
  // the tarball's declared dependencies (and its fastify peer) are installed as a user's would be.
  const dir = await mkdtemp(join(tmpdir(), 'fastify-expvar-consumer-'))
  t.teardown(() => rm(dir, { recursive: true, force: true }))
  const { stdout: packed } = await run('npm', ['pack', '--json', '--pack-destination', dir], { cwd: root, env })
  const [{ filename, files }] = JSON.parse(packed) as [{ filename: string, files: { path: string }[] }]
  t.ok(files.some((file) => file.path === 'dist/index.js'), 'the build is in the tarball')
  t.ok(files.some((file) => file.path === 'dist/index.d.ts'), 'the types are in the tarball')
  t.notOk(files.some((file) => file.path.startsWith('test/') || file.path.startsWith('lib/')), 'sources and tests are not')
  await writeFile(join(dir, 'package.json'), JSON.stringify({ name: 'consumer', private: true, type: 'module' }))
  await run('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', join(dir, filename)], { cwd: dir, env })

  let style = 0
  for (const [file, source] of Object.entries(consumers)) {
    style++
    const body = source + printScrape + (file.endsWith('.cjs') ? '\n})()' : '')
    await writeFile(join(dir, file), body)
    const { stdout } = await run(process.execPath, [file], { cwd: dir, env })
    t.equal(stdout, `{\n"style": ${style}\n}\n`, file)
  }

  await writeFile(join(dir, 'consumer.ts'), `
    import Fastify from 'fastify'
    import fastifyExpvar, { type IntVar } from 'fastify-expvar'
    const app = Fastify()
    await app.register(fastifyExpvar, { builtins: ['http'], cmdline: { redact: false } })
    const requests: IntVar = app.expvar.int('requests')
    requests.add(1)
    // @ts-expect-error a var name is a string
    app.expvar.int(42)
    // @ts-expect-error not a builtin
    await app.register(fastifyExpvar, { builtins: ['gc'] })
  `)
  await writeFile(join(dir, 'tsconfig.json'), JSON.stringify({
    compilerOptions: { module: 'nodenext', moduleResolution: 'nodenext', target: 'ES2022', strict: true, noEmit: true, skipLibCheck: true, types: [] },
    files: ['consumer.ts']
  }))
  const tsc = join(root, 'node_modules', 'typescript', 'bin', 'tsc')
  const checked = await run(process.execPath, [tsc, '-p', dir], { cwd: dir, env }).then(() => 'ok', (err: { stdout: string }) => err.stdout)
  t.equal(checked, 'ok', 'a TypeScript consumer gets typed app.expvar from the tarball')

  // The dashboard from the tarball: its own files are in the build, uPlot's come from the installed
  // dependency, and everything is served from disk (inject: no socket, no network).
  t.ok(files.some((file) => file.path === 'dist/lib/ui/dashboard.js'), 'the page\'s files are in the tarball')
  await writeFile(join(dir, 'ui.mjs'), `
    import Fastify from 'fastify'
    import expvar from 'fastify-expvar'
    const app = Fastify()
    await app.register(expvar, { ui: true })
    const page = await app.inject('/debug/vars/ui')
    const assets = [...page.body.matchAll(/(?:href|src)="\\.\\/([^"]+)"/g)].map((m) => m[1])
    const served = [page.statusCode]
    for (const asset of assets) served.push((await app.inject('/debug/vars/' + asset)).statusCode)
    const uplot = assets.find((a) => a.startsWith('ui/uplot.') && a.endsWith('.js'))
    process.stdout.write(JSON.stringify({ served, uplot: (await app.inject('/debug/vars/' + uplot)).body.length }))`)
  const { stdout: ui } = await run(process.execPath, ['ui.mjs'], { cwd: dir, env })
  const uplotSize = (await stat(join(dir, 'node_modules', 'uplot', 'dist', 'uPlot.iife.min.js'))).size
  t.same(JSON.parse(ui), { served: [200, 200, 200, 200, 200, 200], uplot: uplotSize }, 'the page and its five assets, uPlot from its package')
})
