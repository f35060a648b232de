// The registry: names to vars, Go's get-or-create handles, merge and collision rules, and its scrapes.
import type * as api from '../types/index.js'
import type { Collisions, Definition, DocumentOptions, ExpvarLogger, HistogramMeta, KeyValue, ReadingMeta, RegistryOptions, Var, VarMeta, MetricsOptions } from '../types/index.js'
import { collect } from './collect.js'
import type { CoreFormat, VarKind } from './format.js'
import type { Entry, Registration } from './pull.js'
import { isClassSyntax, normalizeDefinition } from './define.js'
import { FST_EXPVAR_DUPLICATE, FST_EXPVAR_INVALID_VALUE, FST_EXPVAR_INVALID_VAR, FST_EXPVAR_META_CONFLICT, FST_EXPVAR_REENTRANT, FST_EXPVAR_WRONG_KIND } from './errors.js'
import { ExpvarFormat } from './formats/expvar.js'
import { facesOf } from './families.js'
import { isNamespace, NAMESPACE_EXPECTED } from './formats/exposition/names.js'
import { expositionFormat } from './formats/exposition/format.js'
import { callSite } from './call-site.js'
import { describe, describeName } from './describe.js'
import { checkName, checkRegistryOptions, checkSelection, isFormat } from './registry-checks.js'
import { checkMeta, combineMeta, conflict, NO_META } from './meta.js'
import { FloatVar, FuncVar, IntVar, isVar, MapVar, StringVar } from './vars.js'
import { HistogramVar, publishedMeta } from './histogram.js'
import { givenHistogramMeta, settingsConflict } from './histogram-settings.js'

/** Go's handle classes, the kind each is, and how error messages name it: the one table of them. */
const HANDLES = [
  { kind: 'int', Class: IntVar, article: 'an IntVar' },
  { kind: 'float', Class: FloatVar, article: 'a FloatVar' },
  { kind: 'string', Class: StringVar, article: 'a StringVar' },
  { kind: 'map', Class: MapVar, article: 'a MapVar' },
  { kind: 'histogram', Class: HistogramVar, article: 'a HistogramVar' },
  { kind: 'func', Class: FuncVar, article: 'a FuncVar' }
] as const satisfies ReadonlyArray<{ kind: VarKind, Class: abstract new (...args: never[]) => Var, article: string }>

type HandleKind = (typeof HANDLES)[number]['kind']

function kindOf (v: Var): VarKind {
  return HANDLES.find((handle) => v instanceof handle.Class)?.kind ?? 'custom'
}

function article (kind: VarKind): string {
  return HANDLES.find((handle) => handle.kind === kind)?.article ?? 'a custom var'
}

/** A set of published vars: what `fastify.expvar` is, and usable on its own. */
export class Registry implements api.Registry {
  readonly #entries = new Map<string, Entry>()
  #sorted: Entry[] | null = null
  // Keyed by format id (and selection): the promise is of that format's body.
  readonly #inflight = new Map<string, Promise<unknown>>()
  readonly #collisions: Collisions
  readonly #timeout: number
  readonly #log: ExpvarLogger
  readonly #document = new ExpvarFormat()
  // The exposition formats asked for, by format id (openmetrics or not, namespace).
  readonly #expositions = new Map<string, CoreFormat<string>>()
  // Set while this registry's vars are being read or written: a var that asks for this
  // registry's own document then would wait for itself.
  #reading = false

  constructor (options: RegistryOptions = {}) {
    const { collisions, timeout, logger } = checkRegistryOptions(options)
    this.#collisions = collisions
    this.#timeout = timeout
    this.#log = logger
  }

  /**
   * Publishes a var: `register(name, () => value, meta?)`, `register(name, varObject, meta?)`, or
   * `register(def)` with `{ name, value, ...meta }`, an ExpVar instance or an ExpVar subclass.
   */
  register (name: string, value: (() => unknown) | Var, meta?: VarMeta): Var
  register (def: Definition): Var
  register (nameOrDef: string | Definition, value?: (() => unknown) | Var, meta?: VarMeta): Var {
    if ((typeof nameOrDef === 'object' && nameOrDef !== null) || typeof nameOrDef === 'function') {
      const def = normalizeDefinition(nameOrDef, callSite())
      checkName(def.name)
      return this.#publish(def.name, new FuncVar(def.value), def.source, checkMeta(def.name, def.meta))
    }
    checkName(nameOrDef)
    if (isVar(value)) return this.#publish(nameOrDef, value, typeof value.source === 'string' ? value.source : callSite(), checkMeta(nameOrDef, meta))
    if (typeof value !== 'function' || isClassSyntax(value)) {
      throw new FST_EXPVAR_INVALID_VAR(describeName(nameOrDef), 'register(name, value) takes a function or a var (an object with value() and string()); a class goes to register(Class), without a name')
    }
    return this.#publish(nameOrDef, new FuncVar(value), callSite(), checkMeta(nameOrDef, meta))
  }

  /** Go's NewInt, get-or-create: the IntVar published as name. */
  int (name: string, meta?: VarMeta): IntVar {
    return this.#handle(name, 'int', meta, () => new IntVar())
  }

  /** Go's NewFloat, get-or-create. */
  float (name: string, meta?: VarMeta): FloatVar {
    return this.#handle(name, 'float', meta, () => new FloatVar())
  }

  /** Go's NewString, get-or-create. */
  string (name: string, meta?: VarMeta): StringVar {
    return this.#handle(name, 'string', meta, () => new StringVar())
  }

  /** Go's NewMap, get-or-create. */
  map (name: string, meta?: VarMeta): MapVar {
    return this.#handle(name, 'map', meta, () => new MapVar())
  }

  /** Go's Publish(name, Func(fn)), get-or-create: an existing func var of that name is returned as it is. */
  func (name: string, fn: () => unknown, meta?: VarMeta): FuncVar {
    return this.#handle(name, 'func', meta, () => new FuncVar(fn))
  }

  /**
   * A histogram, get-or-create. Asked again, bounds or labels other than its own are refused; none
   * given is the same histogram.
   */
  histogram<L extends string = string> (name: string, meta?: HistogramMeta<L>): HistogramVar<L> {
    return this.#handle(name, 'histogram', meta, () => new HistogramVar(meta), givenHistogramMeta)
  }

  /** The var published as name (the first, where several registrations share it), as Go's Get. */
  get (name: string): Var | undefined {
    return this.#entries.get(name)?.registrations[0]?.var
  }

  /**
   * Removes name and every var published under it; with a var, only that registration of the
   * name (the name goes when its last registration does). True when something was removed.
   */
  delete (name: string, v?: Var): boolean {
    const entry = this.#entries.get(name)
    if (entry === undefined) return false
    if (v !== undefined) {
      const kept = entry.registrations.filter((registration) => registration.var !== v)
      if (kept.length === entry.registrations.length) return false
      entry.registrations = kept
      entry.meta = kept.reduce((meta, registration) => combineMeta(meta, registration.meta), NO_META)
      entry.clashWarned = false
      if (kept.length > 0) return true
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
    for (const entry of this.#sortedEntries()) fn({ key: entry.name, value: (entry.registrations[0] as Registration).var })
  }

  /** The document as a plain object, for logs and tests: exactly what the route sends, parsed. */
  async snapshot (options?: DocumentOptions): Promise<Record<string, unknown>> {
    return JSON.parse(await this.document(options))
  }

  /**
   * The document exactly as the route sends it, in Go's framing. Scrapes that arrive while an
   * evaluation of the same names is under way share it. Rejects, never throws.
   */
  document (options?: DocumentOptions): Promise<string> {
    return this.scrape(this.#document, options).then((document) => document.text())
  }

  /**
   * The vars in Prometheus text 0.0.4, or OpenMetrics 1.0.0 with `openmetrics: true`, exactly as
   * the prometheus route sends them. Rejects, never throws.
   */
  metrics (options?: MetricsOptions): Promise<string> {
    const { openmetrics = false, namespace = '' } = options ?? {}
    if (typeof openmetrics !== 'boolean') return Promise.reject(new FST_EXPVAR_INVALID_VALUE('Registry.metrics', 'openmetrics as a boolean', describe(openmetrics)))
    if (!isNamespace(namespace)) return Promise.reject(new FST_EXPVAR_INVALID_VALUE('Registry.metrics', `namespace as ${NAMESPACE_EXPECTED}`, describe(namespace)))
    const id = `${openmetrics ? 'openmetrics' : 'prometheus'}:${namespace}`
    let format = this.#expositions.get(id)
    if (format === undefined) {
      format = expositionFormat(openmetrics, namespace)
      this.#expositions.set(id, format)
    }
    return this.scrape(format, { vars: options?.vars, log: options?.log })
  }

  /**
   * One scrape of the vars (or of options.vars) in a format, a user's `{ id, open }` or one of
   * ours: what the document and the metrics are made with. Scrapes of the same format id and
   * names in flight share one evaluation. Rejects, never throws.
   */
  scrape<T = string> (format: CoreFormat<T>, options?: DocumentOptions): Promise<T> {
    if (!isFormat(format)) return Promise.reject(new FST_EXPVAR_INVALID_VALUE('Registry.scrape', 'a format { id: string, open() }', describe(format)))
    let vars: readonly string[] | undefined
    try {
      vars = checkSelection(options)
    } catch (err) {
      return Promise.reject(err)
    }
    if (this.#reading) return Promise.reject(new FST_EXPVAR_REENTRANT(format.id))
    const key = vars === undefined ? format.id : format.id + '\0' + JSON.stringify(vars)
    const shared = this.#inflight.get(key) as Promise<T> | undefined
    if (shared !== undefined) return shared
    const entries = vars === undefined ? this.#sortedEntries() : this.#select(vars)
    const log = options?.log ?? this.#log
    let body: { readonly body: T } | Promise<T>
    try {
      body = this.#read(() => collect(entries, format, this.#timeout, log, (step) => this.#read(step)))
    } catch (err) {
      // A user's format whose open() or end() threw.
      return Promise.reject(err)
    }
    if (!(body instanceof Promise)) return Promise.resolve(body.body)
    const pending = body.finally(() => this.#inflight.delete(key))
    this.#inflight.set(key, pending)
    return pending
  }

  /** Runs fn with the re-entrance guard up: while vars are read, and again while an async scrape writes. */
  #read<T> (fn: () => T): T {
    this.#reading = true
    try {
      return fn()
    } finally {
      this.#reading = false
    }
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

  #handle<T extends Var> (name: string, kind: HandleKind, meta: unknown, create: () => T, check: (name: string, meta: unknown) => VarMeta = checkMeta): T {
    checkName(name)
    const checked = check(name, meta)
    const entry = this.#entries.get(name)
    const first = entry?.registrations[0]
    if (entry === undefined || first === undefined) return this.#publish(name, create(), callSite(), checked)
    if (first.kind !== kind) throw new FST_EXPVAR_WRONG_KIND(name, article(first.kind), article(kind))
    // Asked again with metadata: a field it sets differently is refused, one the handle lacks is added.
    this.#checkConflict(entry, checked)
    if (checked !== NO_META) {
      first.meta = combineMeta(first.meta, checked)
      entry.meta = combineMeta(entry.meta, checked)
    }
    return first.var as T
  }

  #checkConflict (entry: Entry, meta: VarMeta): void {
    const key = conflict(entry.meta, meta) ?? settingsConflict(entry.meta, meta)
    if (key !== undefined) throw new FST_EXPVAR_META_CONFLICT(entry.name, `${key} ${describe((entry.meta as ReadingMeta)[key])}`, `${key} ${describe((meta as ReadingMeta)[key])}`)
  }

  #publish<T extends Var> (name: string, v: T, origin: string, meta: VarMeta): T {
    // A histogram's readings carry its bounds and labels, whichever way it was published.
    if (v instanceof HistogramVar) meta = publishedMeta(name, v, meta, this.#log)
    let entry = this.#entries.get(name)
    if (entry === undefined) {
      entry = { name, registrations: [], meta: NO_META, failing: false, clashWarned: false }
      this.#entries.set(name, entry)
      this.#sorted = null
    } else if (this.#collisions === 'error') {
      throw new FST_EXPVAR_DUPLICATE(name, (entry.registrations[0] as Registration).origin, origin)
    } else {
      this.#checkConflict(entry, meta)
    }
    entry.registrations = [...entry.registrations, { var: v, kind: kindOf(v), origin, builtin: facesOf(v), meta, failing: false, watch: null, reading: null }]
    entry.meta = combineMeta(entry.meta, meta)
    // A new registration may clash where the old ones merged: warn anew.
    entry.clashWarned = false
    return v
  }
}
