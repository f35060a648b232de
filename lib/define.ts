// Var definitions: the ExpVar base class, their normal form, and defineExpvars() to publish them from a file.
import type { FastifyPluginAsync } from 'fastify'
import type { Definition, VarDefinition } from '../types/index.js'
import { FST_EXPVAR_INVALID_VAR } from './errors.js'
import { callSite } from './source.js'

/** The seed's form of a var: `class Example extends ExpVar { name = 'example'; value () { return 42 } }`. */
export abstract class ExpVar implements VarDefinition {
  abstract readonly name: string
  abstract value (): unknown
}

/** A definition with its value bound and its source known. */
export interface NormalDefinition extends VarDefinition {
  readonly value: () => unknown
  readonly source: string
}

function isClass (def: unknown): def is new () => VarDefinition {
  return typeof def === 'function' && typeof def.prototype?.value === 'function'
}

/** Turns `{ name, value }`, an ExpVar instance or an ExpVar subclass into a NormalDefinition. */
export function normalizeDefinition (def: Definition, source: string): NormalDefinition {
  const instance: unknown = isClass(def) ? Reflect.construct(def, []) : def
  if (typeof instance !== 'object' || instance === null) {
    throw new FST_EXPVAR_INVALID_VAR(String(def), 'a definition is { name, value }, an ExpVar instance or an ExpVar subclass')
  }
  const { name, value } = instance as Partial<VarDefinition>
  if (typeof value !== 'function') {
    throw new FST_EXPVAR_INVALID_VAR(JSON.stringify(name) ?? 'without a name', 'its value must be a function')
  }
  const own = (instance as VarDefinition).source
  // The name is checked where the definition is published, with every other name.
  return { name: name as string, value: value.bind(instance), source: typeof own === 'string' ? own : source }
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
