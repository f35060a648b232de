// The packed tarball, made once per tap run (tap's `before` runs this file), and scratch apps that
// consume it from outside the repository, as a user's app would.
import { execFile } from 'node:child_process'
import { mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { promisify } from 'node:util'

export const run = promisify(execFile)
export const root = join(import.meta.dirname, '..')
const packDir = join(root, '.tap', 'pack')
const manifest = join(packDir, 'packed.json')

/** Children run without tap's loader and coverage hooks: they see only what a user would. */
export const cleanEnv: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: process.env.HOME }

export interface Packed {
  /** Absolute path of the .tgz. */
  tarball: string
  /** The paths inside the tarball, as `npm pack` lists them. */
  files: string[]
}

async function pack (): Promise<Packed> {
  await rm(packDir, { recursive: true, force: true })
  await mkdir(packDir, { recursive: true })
  const { stdout } = await run('npm', ['pack', '--json', '--pack-destination', packDir], { cwd: root, env: cleanEnv })
  const [entry] = JSON.parse(stdout) as { filename: string, files: { path: string }[] }[]
  if (entry === undefined) throw new Error('npm pack listed no tarball')
  const packed = { tarball: join(packDir, entry.filename), files: entry.files.map((file) => file.path) }
  await writeFile(manifest, JSON.stringify(packed))
  return packed
}

/** The tarball tap's `before` packed for this run (or, outside tap, a fresh one). */
export async function packed (): Promise<Packed> {
  if (process.env.TAP !== '1') return pack()
  return JSON.parse(await readFile(manifest, 'utf8')) as Packed
}

/**
 * A scratch app in a temp dir with the tarball unpacked as node_modules/fastify-expvar and,
 * linked from the repository's node_modules, only what a user's install would bring: the
 * tarball's dependencies and peers, plus `extra` (e.g. @types/node). Offline and fast; an import
 * of an undeclared package fails here as it would for a user.
 */
export async function scratchApp (prefix: string, extra: readonly string[] = []): Promise<{ dir: string, remove: () => Promise<void> }> {
  const { tarball } = await packed()
  const dir = await mkdtemp(join(tmpdir(), `fastify-expvar-${prefix}-`))
  const own = join(dir, 'node_modules', 'fastify-expvar')
  await mkdir(own, { recursive: true })
  await run('tar', ['-xzf', tarball, '-C', own, '--strip-components=1'])
  const manifestOf = JSON.parse(await readFile(join(own, 'package.json'), 'utf8')) as { dependencies?: Record<string, string>, peerDependencies?: Record<string, string> }
  const names = [...Object.keys(manifestOf.dependencies ?? {}), ...Object.keys(manifestOf.peerDependencies ?? {}), ...extra]
  for (const name of names) {
    const link = join(dir, 'node_modules', name)
    await mkdir(dirname(link), { recursive: true })
    await symlink(join(root, 'node_modules', name), link, 'dir')
  }
  await writeFile(join(dir, 'package.json'), JSON.stringify({ name: 'scratch', private: true, type: 'module' }))
  return { dir, remove: () => rm(dir, { recursive: true, force: true }) }
}

/** The packed plugin's entry (dist/index.js) unpacked in a scratch app, for children that run it as built. */
export async function packedPlugin (prefix: string): Promise<{ entry: string, remove: () => Promise<void> }> {
  const { dir, remove } = await scratchApp(prefix)
  return { entry: join(dir, 'node_modules', 'fastify-expvar', 'dist', 'index.js'), remove }
}

/** tsc from the repository, run on a project; resolves to its diagnostics ('' when clean). */
export async function tsc (project: string): Promise<string> {
  const bin = join(root, 'node_modules', 'typescript', 'bin', 'tsc')
  return run(process.execPath, [bin, '-p', project], { cwd: dirname(project), env: cleanEnv }).then(() => '', (err: { stdout: string, stderr: string }) => err.stdout + err.stderr)
}

// Run as tap's `before` script (the file itself is the program): pack once for every test file.
if (process.argv.slice(1).some((arg) => resolve(arg) === import.meta.filename)) await pack()
