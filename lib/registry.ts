// The registry: names to vars, Go's get-or-create handles, merge and collision rules, and the document.
import { inspect } from 'node:util'
import type { Collisions, Definition, DocumentOptions, ExpvarLogger, KeyValue, RegistryOptions, Var } from '../types/index.js'
import { isClassSyntax, normalizeDefinition } from './define.js'
import { writeDocument } from './document.js'
import { FST_EXPVAR_DUPLICATE, FST_EXPVAR_INVALID_NAME, FST_EXPVAR_INVALID_OPTION, FST_EXPVAR_INVALID_VALUE, FST_EXPVAR_INVALID_VAR, FST_EXPVAR_WRONG_KIND } from './errors.js'
import { type Entry, evaluate, type Source } from './evaluate.js'
import { quote } from './json.js'
import { callSite } from './call-site.js'
import { FloatVar, FuncVar, IntVar, isVar, MapVar, StringVar } from './vars.js'

export const DEFAULT_COLLISIONS: Collisions = 'merge'
export const DEFAULT_TIMEOUT = 500
// The longest delay a Node timer takes; a longer one would fire after 1 ms.
export const MAX_TIMEOUT = 2 ** 31 - 1
const COLLISIONS: readonly Collisions[] = ['merge', 'error']

/** Without a logger, failures still surface: as process warnings, never silently. */
const WARNING_LOGGER: ExpvarLogger = {
  warn: (obj, msg) => process.emitWarning(`${msg} ${inspect(obj)}`, 'ExpvarWarning'),
  error: (obj, msg) => process.emitWarning(`${msg} ${inspect(obj)}`, 'ExpvarWarning')
}

type HandleKind = 'an IntVar' | 'a FloatVar' | 'a StringVar' | 'a MapVar' | 'a FuncVar'

/** What a var is, as error messages name it. */
function kindOf (v: Var): HandleKind | 'a custom var' {
  if (v instanceof IntVar) return 'an IntVar'
  if (v instanceof FloatVar) return 'a FloatVar'
  if (v instanceof StringVar) return 'a StringVar'
  if (v instanceof MapVar) return 'a MapVar'
  if (v instanceof FuncVar) return 'a FuncVar'
  return 'a custom var'
}

function checkName (name: unknown): asserts name is string {
  if (typeof name !== 'string' || name.length === 0) {
    throw new FST_EXPVAR_INVALID_NAME(typeof name === 'string' ? '""' : String(name))
  }
}

/** A set of published vars: what `fastify.expvar` is, and usable on its own. */
export class Registry {
  readonly #entries = new Map<string, Entry>()
  #sorted: Entry[] | null = null
  readonly #inflight = new Map<string, Promise<string>>()
  readonly #collisions: Collisions
  readonly #timeout: number
  readonly #log: ExpvarLogger

  constructor (options: RegistryOptions = {}) {
    const { collisions = DEFAULT_COLLISIONS, timeout = DEFAULT_TIMEOUT, logger = WARNING_LOGGER } = options
    if (!COLLISIONS.includes(collisions)) {
      throw new FST_EXPVAR_INVALID_OPTION('collisions', `expected "merge" or "error", got ${String(collisions)}`)
    }
    if (typeof timeout !== 'number' || !(timeout > 0 && timeout <= MAX_TIMEOUT)) {
      throw new FST_EXPVAR_INVALID_OPTION('timeout', `expected a positive number of milliseconds up to ${MAX_TIMEOUT}, got ${String(timeout)}`)
    }
    if (typeof logger?.warn !== 'function' || typeof logger.error !== 'function') {
      throw new FST_EXPVAR_INVALID_OPTION('logger', 'expected a logger with warn and error methods (pino, fastify.log)')
    }
    this.#collisions = collisions
    this.#timeout = timeout
    this.#log = logger
  }

  /**
   * Publishes a var: `register(name, () => value)`, `register(name, varObject)`, or
   * `register(def)` with `{ name, value }`, an ExpVar instance or an ExpVar subclass.
   */
  register (name: string, value: (() => unknown) | Var): Var
  register (def: Definition): Var
  register (nameOrDef: string | Definition, value?: (() => unknown) | Var): Var {
    if ((typeof nameOrDef === 'object' && nameOrDef !== null) || typeof nameOrDef === 'function') {
      const def = normalizeDefinition(nameOrDef, callSite())
      return this.#publish(def.name, new FuncVar(def.value), def.source)
    }
    if (isVar(value)) return this.#publish(nameOrDef, value, typeof value.source === 'string' ? value.source : callSite())
    if (typeof value !== 'function' || isClassSyntax(value)) {
      checkName(nameOrDef)
      throw new FST_EXPVAR_INVALID_VAR(quote(nameOrDef), 'register(name, value) takes a function or a var (an object with value() and string()); a class goes to register(Class), without a name')
    }
    return this.#publish(nameOrDef, new FuncVar(value), callSite())
  }

  /** Go's NewInt, get-or-create: the IntVar published as name. */
  int (name: string): IntVar {
    return this.#handle(name, 'an IntVar', () => new IntVar())
  }

  /** Go's NewFloat, get-or-create. */
  float (name: string): FloatVar {
    return this.#handle(name, 'a FloatVar', () => new FloatVar())
  }

  /** Go's NewString, get-or-create. */
  string (name: string): StringVar {
    return this.#handle(name, 'a StringVar', () => new StringVar())
  }

  /** Go's NewMap, get-or-create. */
  map (name: string): MapVar {
    return this.#handle(name, 'a MapVar', () => new MapVar())
  }

  /** Go's Publish(name, Func(fn)), get-or-create: an existing func var of that name is returned as it is. */
  func (name: string, fn: () => unknown): FuncVar {
    return this.#handle(name, 'a FuncVar', () => new FuncVar(fn))
  }

  /** The var published as name (the first, where several sources share it), as Go's Get. */
  get (name: string): Var | undefined {
    return this.#entries.get(name)?.sources[0]?.var
  }

  /**
   * Removes name and every var published under it; with a var, only that registration of the
   * name (the name goes when its last registration does). True when something was removed.
   */
  delete (name: string, v?: Var): boolean {
    const entry = this.#entries.get(name)
    if (entry === undefined) return false
    if (v !== undefined) {
      const kept = entry.sources.filter((source) => source.var !== v)
      if (kept.length === entry.sources.length) return false
      entry.sources = kept
      entry.clashWarned = false
      if (entry.sources.length > 0) return true
    }
    this.#entries.delete(name)
    this.#sorted = null
    return true
  }

  /** The published names, sorted. */
  names (): string[] {
    return this.#sortedEntries().map((entry) => entry.name)
  }

  /** Calls fn for each published name, sorted, with its (first) var: Go's Do. */
  do (fn: (kv: KeyValue) => void): void {
    for (const entry of this.#sortedEntries()) fn({ key: entry.name, value: (entry.sources[0] as Source).var })
  }

  /** The document as a plain object, for logs and tests: exactly what the route sends, parsed. */
  async snapshot (options?: DocumentOptions): Promise<Record<string, unknown>> {
    return JSON.parse(await this.document(options))
  }

  /**
   * The document exactly as the route sends it, in Go's framing. Scrapes that arrive while an
   * evaluation of the same names is under way share it.
   */
  document (options: DocumentOptions = {}): Promise<string> {
    const { vars } = options
    if (vars !== undefined && !(Array.isArray(vars) && vars.every((name) => typeof name === 'string'))) {
      return Promise.reject(new FST_EXPVAR_INVALID_VALUE('Registry.document', 'vars as an array of names', String(vars)))
    }
    const key = vars === undefined ? '' : JSON.stringify(vars)
    const shared = this.#inflight.get(key)
    if (shared !== undefined) return shared
    const entries = vars === undefined ? this.#sortedEntries() : this.#select(vars)
    const texts = evaluate(entries, this.#timeout, options.log ?? this.#log)
    if (Array.isArray(texts)) return Promise.resolve(writeDocument(texts))
    const pending = texts.then(writeDocument).finally(() => this.#inflight.delete(key))
    this.#inflight.set(key, pending)
    return pending
  }

  #select (names: readonly string[]): Entry[] {
    const wanted = new Set(names)
    return this.#sortedEntries().filter((entry) => wanted.has(entry.name))
  }

  #sortedEntries (): Entry[] {
    if (this.#sorted === null) {
      this.#sorted = [...this.#entries.values()].sort((a, b) => a.name < b.name ? -1 : 1)
    }
    return this.#sorted
  }

  #handle<T extends Var> (name: string, kind: HandleKind, create: () => T): T {
    checkName(name)
    const first = this.#entries.get(name)?.sources[0]
    if (first === undefined) return this.#publish(name, create(), callSite())
    const existing = kindOf(first.var)
    if (existing !== kind) throw new FST_EXPVAR_WRONG_KIND(name, existing, kind)
    return first.var as T
  }

  #publish<T extends Var> (name: unknown, v: T, origin: string): T {
    checkName(name)
    let entry = this.#entries.get(name)
    if (entry === undefined) {
      entry = { name, prefix: quote(name) + ': ', sources: [], failing: false, clashWarned: false }
      this.#entries.set(name, entry)
      this.#sorted = null
    } else if (this.#collisions === 'error') {
      throw new FST_EXPVAR_DUPLICATE(name, (entry.sources[0] as Source).origin, origin)
    }
    entry.sources = [...entry.sources, { var: v, pulled: v instanceof FuncVar, origin, failing: false }]
    // A new source may clash where the old ones merged: warn anew.
    entry.clashWarned = false
    return v
  }
}
