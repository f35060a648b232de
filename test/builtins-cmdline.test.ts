// The cmdline builtin: process.argv as Go publishes os.Args, with secrets redacted unless asked not to.
import { execFile } from 'node:child_process'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { test, type Test } from 'tap'
import { build, scrape } from './helpers.js'

const run = promisify(execFile)
const FIXTURE = join(import.meta.dirname, 'fixtures', 'builtins', 'cmdline-app.ts')

const SECRET_ARGS = [
  '--password=hunter2',
  '--token', 'abc123',
  '--api-key=k-1',
  '--port', '3000',
  '--db', 'postgres://admin:pw@db.example:5432/app',
  '--verbose'
]

/**
 * Runs the fixture app in a child process with args; returns the document it printed. The child
 * gets this process' loaders (tap's TypeScript and coverage hooks, or tsx), so it runs the same code.
 */
async function childDocument (args: readonly string[], env: Record<string, string> = {}): Promise<{ body: string, doc: Record<string, unknown> }> {
  const { stdout } = await run(process.execPath, [...process.execArgv, FIXTURE, ...args], { env: { ...process.env, ...env } })
  return { body: stdout, doc: JSON.parse(stdout) }
}

/** Scrapes an in-process app while process.argv is argv. */
async function cmdlineWith (t: Test, argv: string[], options = {}): Promise<unknown> {
  const saved = process.argv
  t.teardown(() => { process.argv = saved })
  process.argv = argv
  const { app } = await build({ cmdline: true, ...options })
  t.teardown(() => app.close())
  return (await scrape(app)).cmdline
}

test('a process started with secrets publishes its argv with the secret values redacted', async (t) => {
  const { body, doc } = await childDocument(SECRET_ARGS)
  t.same((doc.cmdline as string[]).slice(2), [
    '--password=[REDACTED]',
    '--token', '[REDACTED]',
    '--api-key=[REDACTED]',
    '--port', '3000',
    '--db', 'postgres://[REDACTED]@db.example:5432/app',
    '--verbose'
  ])
  t.equal((doc.cmdline as string[])[1], FIXTURE)
  t.notMatch(body, /hunter2|abc123|k-1|admin|:pw@/)
})

test('cmdline: { redact: false } publishes argv as it is', async (t) => {
  const { doc } = await childDocument(SECRET_ARGS, { EXPVAR_CMDLINE: 'raw' })
  t.same((doc.cmdline as string[]).slice(2), SECRET_ARGS)
})

test('cmdline is on by default and is an array of strings, argv[0] first', async (t) => {
  const cmdline = await cmdlineWith(t, ['/usr/bin/node', '/srv/app.js', '--port', '80'])
  t.same(cmdline, ['/usr/bin/node', '/srv/app.js', '--port', '80'])
})

test('cmdline: false leaves it out', async (t) => {
  const { app } = await build({ cmdline: false })
  t.teardown(() => app.close())
  t.notOk('cmdline' in await scrape(app))
})

test('flag names that suggest a secret have their values redacted, whatever their case and form', async (t) => {
  const cmdline = await cmdlineWith(t, [
    'node', 'app.js',
    '--client-secret', 's1',
    '--AUTH=s2',
    '-passphrase', 's3',
    '--db-pwd=s4',
    '--aws-credentials', 's5',
    'API_KEY=s6',
    '--session-token=',
    '--name=public'
  ])
  t.same(cmdline, [
    'node', 'app.js',
    '--client-secret', '[REDACTED]',
    '--AUTH=[REDACTED]',
    '-passphrase', '[REDACTED]',
    '--db-pwd=[REDACTED]',
    '--aws-credentials', '[REDACTED]',
    'API_KEY=[REDACTED]',
    '--session-token=[REDACTED]',
    '--name=public'
  ])
})

test('a secret flag followed by another flag is taken as a switch: the next flag stays readable', async (t) => {
  const cmdline = await cmdlineWith(t, ['node', 'app.js', '--no-auth', '--port', '80', '--token'])
  t.same(cmdline, ['node', 'app.js', '--no-auth', '--port', '80', '--token'])
})

test('URL credentials are redacted wherever they appear, up to the last @ of the userinfo', async (t) => {
  const cmdline = await cmdlineWith(t, [
    'node', 'app.js',
    'redis://:p@ss@cache:6379/0',
    '--upstream=https://ghp_token@github.com/org/repo',
    'amqp://u:p@mq1,amqp://v:q@mq2',
    'https://example.com/a@b',
    'mailto:someone@example.com'
  ])
  t.same(cmdline, [
    'node', 'app.js',
    'redis://[REDACTED]@cache:6379/0',
    '--upstream=https://[REDACTED]@github.com/org/repo',
    'amqp://[REDACTED]@mq1,amqp://[REDACTED]@mq2',
    'https://example.com/a@b',
    'mailto:someone@example.com'
  ])
})

test('query parameters with secret-looking names are redacted, the others kept', async (t) => {
  const cmdline = await cmdlineWith(t, ['node', 'app.js', 'https://api.example/v1?api_key=abc123&page=2', '--hook=https://h.example/x?user=a&access_token=t0k#top'])
  t.same(cmdline, ['node', 'app.js', 'https://api.example/v1?api_key=[REDACTED]&page=2', '--hook=https://h.example/x?user=a&access_token=[REDACTED]#top'])
})

test('cmdline is read at every scrape, as Go reads os.Args', async (t) => {
  const saved = process.argv
  t.teardown(() => { process.argv = saved })
  process.argv = ['node', 'a.js']
  const { app } = await build({ cmdline: true })
  t.teardown(() => app.close())
  t.same((await scrape(app)).cmdline, ['node', 'a.js'])
  process.argv = ['node', 'a.js', '--secret', 'x']
  t.same((await scrape(app)).cmdline, ['node', 'a.js', '--secret', '[REDACTED]'])
})

test('a secret-looking name part is redacted whatever separator follows it', async (t) => {
  const cmdline = await cmdlineWith(t, [
    'node', 'app.js',
    '--password:x1',
    '--db:password=x2',
    '--pass[0]=x3',
    '--Authorization: Bearer x4',
    '--Authorization', 'Bearer x5',
    '--Authorization:', 'Bearer x6',
    '-H', 'Authorization: Bearer x7',
    'db:password=x8',
    'token', 'secret.json',
    '--token', '-99',
    '--mode=fast'
  ])
  t.same(cmdline, [
    'node', 'app.js',
    '--password:[REDACTED]',
    '--db:password=[REDACTED]',
    '--pass[0]=[REDACTED]',
    '--Authorization: [REDACTED]',
    '--Authorization', '[REDACTED]',
    '--Authorization:[REDACTED]', '[REDACTED]',
    '-H', 'Authorization: [REDACTED]',
    'db:password=[REDACTED]',
    'token', 'secret.json',
    '--token', '[REDACTED]',
    '--mode=fast'
  ])
  t.notMatch(JSON.stringify(cmdline), /x\d|-99/, 'a value starting with - but not a letter is a value')
})

test('URL credentials whose password holds an unescaped #, / or space are redacted whole', async (t) => {
  const cmdline = await cmdlineWith(t, [
    'node', 'app.js',
    'postgres://app:pa#ss@db/app',
    '--db=postgres://app:pa/ss@db/app',
    'postgres://app:pa ss@db/app',
    'https://example.com:8443/status',
    'file:///etc/hosts'
  ])
  t.same(cmdline, [
    'node', 'app.js',
    'postgres://[REDACTED]@db/app',
    '--db=postgres://[REDACTED]@db/app',
    'postgres://[REDACTED]@db/app',
    'https://example.com:8443/status',
    'file:///etc/hosts'
  ])
})

test('a secret-looking parameter in a URL fragment is redacted', async (t) => {
  const cmdline = await cmdlineWith(t, ['node', 'app.js', '--callback=https://app.example/cb#access_token=t1&state=ok', 'https://x.example/?a=1#id_token=t2'])
  t.same(cmdline, ['node', 'app.js', '--callback=https://app.example/cb#access_token=[REDACTED]&state=ok', 'https://x.example/?a=1#id_token=[REDACTED]'])
})

test('64 KB adversarial arguments are redacted in one pass and come out right', async (t) => {
  const SIZE = 64 * 1024
  const fill = (unit: string): string => unit.repeat(Math.ceil(SIZE / unit.length))
  const headers = '--allowed-headers=' + fill('authorization;x-api-key;x-auth-token;')
  const keys = fill('?key')
  const schemes = fill('a://x:')
  const params = fill('?api_key=v&')
  const cmdline = await cmdlineWith(t, ['node', 'app.js', headers, keys, schemes, params, '--' + fill('pass')]) as string[]
  t.equal(cmdline[2], headers, 'header names are values, not secret names')
  t.equal(cmdline[3], keys, 'parameters without a value')
  t.equal(cmdline[4], schemes, 'URLs without an @ have no userinfo')
  t.equal(cmdline[5], params.replaceAll('?api_key=v&', '?api_key=[REDACTED]&'))
  t.equal(cmdline[6], '--' + fill('pass'), 'a bare secret flag stays readable')
})

test('cmdline is redacted once per distinct argv: an unchanged argv serves the same array', async (t) => {
  const saved = process.argv
  t.teardown(() => { process.argv = saved })
  process.argv = ['node', 'a.js', '--token', 'x']
  const { app } = await build({ cmdline: true })
  t.teardown(() => app.close())
  const cmdline = app.expvar.get('cmdline')
  const first = cmdline?.value()
  t.same(first, ['node', 'a.js', '--token', '[REDACTED]'])
  t.equal(cmdline?.value(), first, 'the same array while argv is unchanged')
  process.argv = [...process.argv]
  t.equal(cmdline?.value(), first, 'an equal copy of argv is the same argv')
  process.argv.push('--password=y')
  t.same((await scrape(app)).cmdline, ['node', 'a.js', '--token', '[REDACTED]', '--password=[REDACTED]'], 'argv changed in place is seen')
  t.not(cmdline?.value(), first)
  process.argv[4] = '--port=80'
  t.same((await scrape(app)).cmdline, ['node', 'a.js', '--token', '[REDACTED]', '--port=80'], 'an argument replaced in place is seen')
})

test('cmdline: { redact: false } follows argv too', async (t) => {
  const saved = process.argv
  t.teardown(() => { process.argv = saved })
  process.argv = ['node', 'a.js']
  const { app } = await build({ cmdline: { redact: false } })
  t.teardown(() => app.close())
  t.same((await scrape(app)).cmdline, ['node', 'a.js'])
  process.argv.push('--token', 'x')
  t.same((await scrape(app)).cmdline, ['node', 'a.js', '--token', 'x'])
})
