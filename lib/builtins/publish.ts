// How a builtin publishes: through the public registry, and only for as long as its instance lives.
import type { FastifyInstance, FastifyPluginAsync, FastifyPluginOptions } from 'fastify'
import type { Var } from '../../types/index.js'
import { BUILTIN, type BuiltinFaces } from '../families.js'
import { FuncVar } from '../vars.js'
import type { BuiltinContext } from './readings.js'

/**
 * A builtin's table entry: the plugin that publishes its value (given its instance's readings
 * and its own options), its families and its cluster rule.
 */
export interface Builtin<O extends FastifyPluginOptions = Record<never, never>> extends BuiltinFaces {
  readonly plugin: FastifyPluginAsync<BuiltinContext & O>
}

/** How a builtin is named as the source of its var in logs and collision errors. */
export function builtinSource (name: string): string {
  return `fastify-expvar builtin ${name}`
}

/** A builtin's value function as a var: a FuncVar named as the builtin, with its faces. */
class BuiltinFunc extends FuncVar {
  readonly source: string
  readonly [BUILTIN]: BuiltinFaces
  constructor (fn: () => unknown, builtin: BuiltinFaces) {
    super(fn)
    this.source = builtinSource(builtin.name)
    this[BUILTIN] = builtin
  }
}

/**
 * Publishes a builtin's value function (or Var) under its name, with its faces (families, cluster
 * rule) on the var, named as a builtin in logs. When the instance closes, `stop` ends whatever the
 * builtin started and the registration is withdrawn, so a registry shared with later instances
 * keeps no var of a closed one; a user's var of the same name stays an ordinary var.
 */
export function publishBuiltin (fastify: FastifyInstance, builtin: BuiltinFaces, published: Var | (() => unknown), stop?: () => void): void {
  const registry = fastify.expvar
  let v: Var
  try {
    if (typeof published === 'function') {
      v = registry.register(builtin.name, new BuiltinFunc(published, builtin))
    } else {
      Object.defineProperty(published, BUILTIN, { value: builtin })
      v = registry.register(builtin.name, published)
    }
  } catch (err) {
    // Refused (a duplicate under collisions: 'error'): what the builtin started must not outlive it.
    stop?.()
    throw err
  }
  fastify.addHook('onClose', async () => {
    stop?.()
    registry.delete(builtin.name, v)
  })
}
