// The dashboard: its page and every asset as GET routes, behind the same route passthrough as the document.
import { createHash } from 'node:crypto'
import { readFile } from 'node:fs/promises'
import { createRequire } from 'node:module'
import { fileURLToPath } from 'node:url'
import type { FastifyInstance, FastifyReply, FastifyRequest, FastifySchema } from 'fastify'
import type { ExpvarRouteOptions, Reading } from '../../types/index.js'
import type { CoreFormat } from '../format.js'
import type { Registry } from '../registry.js'

const require = createRequire(import.meta.url)
// The page's own files sit beside this folder in the sources and, copied by the build, in dist/.
const UI_DIR = fileURLToPath(new URL('../ui/', import.meta.url))

const JS = 'text/javascript; charset=utf-8'
const CSS = 'text/css; charset=utf-8'
// Each asset's URL carries a hash of its bytes, so the browser may keep it for good: a new version
// is a new URL, and the page (never cached) always names the current ones.
const ASSET_CACHE = 'private, max-age=31536000, immutable'
// The page loads only its own assets and fetches only its own origin: nothing inline, no CDN.
const CSP = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; " +
  "base-uri 'self'; form-action 'none'; frame-ancestors 'none'"

/** The files the page needs: a placeholder in index.html, the file and its content type. */
const ASSETS = [
  { slot: 'uplot.css', file: require.resolve('uplot/dist/uPlot.min.css'), type: CSS },
  { slot: 'uplot.js', file: require.resolve('uplot/dist/uPlot.iife.min.js'), type: JS },
  { slot: 'dashboard.css', file: UI_DIR + 'dashboard.css', type: CSS },
  { slot: 'dashboard.js', file: UI_DIR + 'dashboard.js', type: JS },
  { slot: 'icon.svg', file: UI_DIR + 'icon.svg', type: 'image/svg+xml' }
] as const

/** The path of the page's metadata under the page's folder: beside the assets, behind the same passthrough. */
const META_FILE = 'meta.json'
// An asset's URL names it by the first hex digits of its bytes' SHA-256.
const HASH_DIGITS = 12
// The page's own files under its folder, whatever the assets' hashes.
const OWN_FILES = new RegExp(`^(?:${[META_FILE.replace('.', '\\.'), ...ASSETS.map(({ slot }) => slot.replace('.', `\\.[0-9a-f]{${HASH_DIGITS}}\\.`))].join('|')})$`)

/** Whether a path is one of the dashboard's own files under its folder: its metadata or an asset. */
export function isDashboardFile (page: string, path: string): boolean {
  const base = page.endsWith('/') ? page : page + '/'
  return path.startsWith(base) && OWN_FILES.test(path.slice(base.length))
}

/** The names the plugin's builtins are published under (a Set, or the builtins' table by name). */
type BuiltinNames = Pick<ReadonlySet<string>, 'has'>

/** What the page learns of a var beyond its value: how it was made, its declared type and help, whether a builtin. */
interface UiVarMeta {
  readonly name: string
  readonly kind: Reading['kind']
  readonly type?: 'counter' | 'gauge'
  readonly help?: string
  /** A histogram's label names, in the order its value is nested by them. */
  readonly labels?: readonly string[]
  readonly builtin: boolean
}

/**
 * The page's metadata as a format of the registry's own scrape, so that Go's document stays as Go's
 * tools read it: one entry per var, in name order, its value left out. A list, not an object, so that
 * no var name is ever a key of anything.
 */
function uiMetaFormat (builtins: BuiltinNames): CoreFormat<string> {
  return {
    id: 'fastify-expvar-ui-meta',
    // Self-rendering vars are handed over unread: their values are of no use here, and value() would copy a Map.
    readsVars: true,
    open () {
      const vars: UiVarMeta[] = []
      return {
        add ({ name, kind, meta }) {
          vars.push({
            name,
            kind,
            ...(meta.type === undefined ? {} : { type: meta.type }),
            ...(meta.help === undefined ? {} : { help: meta.help }),
            ...(meta.labels === undefined || meta.labels.length === 0 ? {} : { labels: meta.labels }),
            builtin: builtins.has(name)
          })
        },
        end: () => JSON.stringify({ vars })
      }
    }
  }
}

/**
 * The URL of the absolute path `to`, relative to a page at the absolute path `from`. Relative
 * links stay right under any prefix put in front of both: a parent plugin's or a proxy's.
 */
export function relativeUrl (from: string, to: string): string {
  const fromDir = from.split('/').slice(0, -1)
  const target = to.split('/')
  let common = 0
  while (common < fromDir.length && common < target.length - 1 && fromDir[common] === target[common]) common++
  const up = fromDir.length - common
  // './' keeps a first segment such as 'a:b' from reading as a URL scheme.
  return (up === 0 ? './' : '../'.repeat(up)) + target.slice(common).join('/')
}

function escapeAttribute (text: string): string {
  return text.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;').replace(/>/g, '&gt;')
}

/**
 * Reads the page and its assets once, at register time, and serves them from memory; serves the
 * vars' metadata (uiMetaFormat) from registry, with the names in builtins marked as builtins.
 */
export async function registerUi (fastify: FastifyInstance, ui: { url: string, document: string }, route: ExpvarRouteOptions,
  registry: Registry, builtins: BuiltinNames): Promise<void> {
  // Only the documentation keys (hide, tags, …): these routes validate nothing.
  const schema = route.schema as FastifySchema | undefined
  const base = ui.url.endsWith('/') ? ui.url : ui.url + '/'
  let html = await readFile(UI_DIR + 'index.html', 'utf8')
  html = html.replace('{{document}}', escapeAttribute(relativeUrl(ui.url, ui.document)))
  html = html.replace('{{meta}}', escapeAttribute(relativeUrl(ui.url, base + META_FILE)))
  const metaFormat = uiMetaFormat(builtins)
  fastify.route({
    ...route,
    method: 'GET',
    url: base + META_FILE,
    schema,
    handler: async function expvarUiMeta (request, reply) {
      const body = await registry.scrape(metaFormat, { log: request.log })
      return reply
        .header('content-type', 'application/json; charset=utf-8')
        .header('cache-control', 'no-store')
        .header('x-content-type-options', 'nosniff')
        .send(body)
    }
  })
  for (const asset of ASSETS) {
    const body = await readFile(asset.file)
    const hash = createHash('sha256').update(body).digest('hex').slice(0, HASH_DIGITS)
    const [name, ext] = asset.slot.split('.') as [string, string]
    const url = `${base}${name}.${hash}.${ext}`
    html = html.replace(`{{${asset.slot}}}`, escapeAttribute(relativeUrl(ui.url, url)))
    fastify.route({
      ...route,
      method: 'GET',
      url,
      schema,
      handler: async function expvarUiAsset (_request, reply) {
        return reply
          .header('content-type', asset.type)
          .header('cache-control', ASSET_CACHE)
          .header('x-content-type-options', 'nosniff')
          .send(body)
      }
    })
  }
  // The links above are relative to the page's path as configured. A router that also answers the
  // path with (or without) a trailing slash moves the page a folder down (or up): a <base> undoes it.
  const deeper = html.replace('<head>', '<head>\n<base href="../">')
  const page = {
    ...route,
    method: 'GET' as const,
    schema,
    handler: async function expvarUi (request: FastifyRequest, reply: FastifyReply) {
      const path = request.url.split('?', 1)[0] as string
      let body = html
      if (path.endsWith('/') && !ui.url.endsWith('/')) body = deeper
      else if (!path.endsWith('/') && ui.url.endsWith('/')) {
        body = html.replace('<head>', `<head>\n<base href="${escapeAttribute(relativeUrl(path, path + '/'))}">`)
      }
      return reply
        .header('content-type', 'text/html; charset=utf-8')
        .header('cache-control', 'no-store')
        .header('content-security-policy', CSP)
        .header('x-content-type-options', 'nosniff')
        .header('referrer-policy', 'no-referrer')
        .send(body)
    }
  }
  fastify.route({ ...page, url: ui.url })
  // The same page one slash longer or shorter (`/debug/vars/ui/`), unless the app's router already
  // answers both (ignoreTrailingSlash), where a second route would be a duplicate.
  const other = ui.url.endsWith('/') ? ui.url.slice(0, -1) : ui.url + '/'
  if (other !== '' && !fastify.hasRoute({ method: 'GET', url: other })) fastify.route({ ...page, url: other })
}
