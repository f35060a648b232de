// Every consumer style works from the packed tarball, as it is published: import default, import
// named, require(), register(import()), and TypeScript sees typed app.expvar under every
// moduleResolution, with skipLibCheck off.
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'tap'
import { cleanEnv as env, packed, root, run, scratchApp, tsc } from '../packed.js'

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
    if (fastifyExpvar.default !== fastifyExpvar || fastifyExpvar.fastifyExpvar !== fastifyExpvar) throw new Error('require() is not the plugin with .default and .fastifyExpvar')
    if (typeof fastifyExpvar.Registry !== 'function' || typeof fastifyExpvar.errors.FST_EXPVAR_DUPLICATE !== 'function') throw new Error('require() lacks the named exports')
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
  const { tarball, files } = await packed()
  for (const shipped of ['dist/index.js', 'dist/index.d.ts', 'index.cjs', 'index.d.cts']) t.ok(files.includes(shipped), `${shipped} is in the tarball`)
  t.notOk(files.some((file) => file.startsWith('test/') || file.startsWith('lib/')), 'sources and tests are not')
  // tsc's maps point at ../lib/*.ts, which is not shipped: a map without its sources is noise.
  t.same(files.filter((file) => file.endsWith('.map')), [], 'no source maps, as their sources are not shipped')
  await writeFile(join(dir, 'package.json'), JSON.stringify({ name: 'consumer', private: true, type: 'module' }))
  await run('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', tarball], { cwd: dir, env })

  let style = 0
  for (const [file, source] of Object.entries(consumers)) {
    style++
    const body = source + printScrape + (file.endsWith('.cjs') ? '\n})()' : '')
    await writeFile(join(dir, file), body)
    const { stdout } = await run(process.execPath, [file], { cwd: dir, env })
    t.equal(stdout, `{\n"style": ${style}\n}\n`, file)
  }

  // The dashboard from the tarball: its own files are in the build (the build script copies them),
  // uPlot's come from the installed dependency, and everything is served from disk.
  t.ok(files.includes('dist/lib/ui/dashboard.js'), 'the page\'s files are in the tarball')
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

// A CommonJS TypeScript consumer: require() is the plugin, carrying the named exports.
const requireConsumer = `
import fastifyExpvar = require('fastify-expvar')
const plugin: typeof fastifyExpvar.default = fastifyExpvar
const named: typeof fastifyExpvar.default = fastifyExpvar.fastifyExpvar
const registry = new fastifyExpvar.Registry({ timeout: 100 })
registry.int('jobs').add(1)
// @ts-expect-error the registry's timeout is a number
void new fastifyExpvar.Registry({ timeout: '1s' })
export = { plugin, named }
`

// esModuleInterop: fastify's own dependency types need it under node10 and from CommonJS files
// (pino default-imports thread-stream's `export =`), as for any Fastify app there.
const resolutions: Record<string, { module: string, moduleResolution: string, cjs: boolean }> = {
  nodenext: { module: 'nodenext', moduleResolution: 'nodenext', cjs: true },
  bundler: { module: 'esnext', moduleResolution: 'bundler', cjs: false },
  node10: { module: 'esnext', moduleResolution: 'node10', cjs: false }
}

// The type tests in types/ are what a TypeScript consumer writes; each of their @ts-expect-error
// lines fails the check if the line after it compiles.
test('the packed types and the type tests in types/ check under nodenext, bundler and node10 with skipLibCheck off', async (t) => {
  const { dir, remove } = await scratchApp('types', ['@types/node', 'expect-type'])
  t.teardown(remove)
  await writeFile(join(dir, 'consumer.ts'), await readFile(join(root, 'types', 'index.test-d.ts'), 'utf8'))
  await writeFile(join(dir, 'require.cts'), requireConsumer)
  const checks = Object.entries(resolutions).map(async ([name, { module, moduleResolution, cjs }]) => {
    const project = join(dir, `tsconfig.${name}.json`)
    await writeFile(project, JSON.stringify({
      compilerOptions: { module, moduleResolution, esModuleInterop: true, target: 'ES2022', strict: true, noEmit: true, skipLibCheck: false, types: ['node'] },
      files: cjs ? ['consumer.ts', 'require.cts'] : ['consumer.ts']
    }))
    return [name, await tsc(project)] as const
  })
  for (const [name, diagnostics] of await Promise.all(checks)) t.equal(diagnostics, '', name)
})
