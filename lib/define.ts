// Var definitions: the ExpVar base class, their normal form, and defineExpvars() to publish them from a file.
import type { FastifyPluginAsync } from 'fastify'
import type { Definition, VarDefinition } from '../types/index.js'
import { FST_EXPVAR_INVALID_NAME, FST_EXPVAR_INVALID_VAR } from './errors.js'
import { META_KEYS } from './meta.js'
import { callSite } from './call-site.js'
import { describe, describeName } from './describe.js'

/** The seed's form of a var: `class Example extends ExpVar { name = 'example'; value () { return 42 } }`. */
export abstract class ExpVar implements VarDefinition {
  abstract readonly name: string
  abstract value (): unknown
}

/** A definition with its value bound, its source known and its metadata fields picked out (checked where it is published). */
interface NormalDefinition {
  readonly name: string
  readonly value: () => unknown
  readonly source: string
  readonly meta: Record<string, unknown> | undefined
}

/** The metadata fields a definition sets, if any. */
function pickMeta (instance: object): Record<string, unknown> | undefined {
  let meta: Record<string, unknown> | undefined
  for (const key of META_KEYS) {
    const field = (instance as Record<string, unknown>)[key]
    if (field !== undefined) (meta ??= {})[key] = field
  }
  return meta
}

/** A function written with `class`: it can only be constructed, never called. */
export function isClassSyntax (value: unknown): boolean {
  return typeof value === 'function' && /^class\b/.test(Function.prototype.toString.call(value))
}

/** An ExpVar subclass, or any class whose instances have a value() (a JS class with a value field counts). */
function isDefinitionClass (def: unknown): def is new () => VarDefinition {
  return typeof def === 'function' && (def.prototype instanceof ExpVar || typeof def.prototype?.value === 'function' || isClassSyntax(def))
}

/** What a constructor threw, in words: an Error's message, or the thrown value itself (`throw null`). */
function thrownText (err: unknown): string {
  try {
    if (err instanceof Error && typeof err.message === 'string') return err.message
  } catch {}
  return describe(err)
}

function construct (def: new () => VarDefinition): unknown {
  try {
    return Reflect.construct(def, [])
  } catch (err) {
    throw new FST_EXPVAR_INVALID_VAR(def.name === '' ? 'class' : def.name, `its constructor threw: ${thrownText(err)}`, { cause: err })
  }
}

/** Turns `{ name, value }`, an ExpVar instance or an ExpVar subclass into a NormalDefinition. */
export function normalizeDefinition (def: Definition, source: string): NormalDefinition {
  const instance: unknown = isDefinitionClass(def) ? construct(def) : def
  if (typeof instance !== 'object' || instance === null) {
    throw new FST_EXPVAR_INVALID_VAR(describe(def), 'a definition is { name, value }, an ExpVar instance or an ExpVar subclass')
  }
  const { name, value } = instance as Partial<VarDefinition>
  if (typeof value !== 'function') {
    throw new FST_EXPVAR_INVALID_VAR(name === undefined ? 'without a name' : describeName(name), 'its value must be a function')
  }
  // Checked here as well as where it is published: a bigint, symbol or prototype-free object is
  // refused with its own description, before anything tries to turn it into a string.
  if (typeof name !== 'string' || name.length === 0) throw new FST_EXPVAR_INVALID_NAME(describeName(name))
  const own = (instance as VarDefinition).source
  return { name, value: value.bind(instance), source: typeof own === 'string' ? own : source, meta: pickMeta(instance) }
}

/**
 * A Fastify plugin that publishes the given definitions on `fastify.expvar`: what an `expvars/` file
 * default-exports. Definitions are checked here, so a bad one fails the file's import.
 */
export function defineExpvars (...defs: Definition[]): FastifyPluginAsync {
  const source = callSite()
  const normal = defs.map((def) => normalizeDefinition(def, source))
  const plugin: FastifyPluginAsync = async function publishExpvars (fastify) {
    for (const def of normal) fastify.expvar.register(def)
  }
  Object.defineProperty(plugin, Symbol.for('fastify.display-name'), { value: `defineExpvars(${source})` })
  return plugin
}
