// How a builtin publishes: through the public registry, and only for as long as its instance lives.
import type { FastifyInstance } from 'fastify'
import type { Var } from '../../types/index.js'

/** How a builtin is named as the source of its var in logs and collision errors. */
export function builtinSource (name: string): string {
  return `fastify-expvar builtin ${name}`
}

/**
 * Publishes a builtin's value function (or Var) under name, named as a builtin in logs. When the
 * instance closes, `stop` ends whatever the builtin started and the registration is withdrawn, so
 * a registry shared with later instances keeps no var of a closed one.
 */
export function publishBuiltin (fastify: FastifyInstance, name: string, published: Var | (() => unknown), stop?: () => void): void {
  const source = builtinSource(name)
  let v: Var
  try {
    v = typeof published === 'function'
      ? fastify.expvar.register({ name, source, value: published })
      : fastify.expvar.register(name, published)
  } catch (err) {
    // Refused (a duplicate under collisions: 'error'): what the builtin started must not outlive it.
    stop?.()
    throw err
  }
  fastify.addHook('onClose', async () => {
    stop?.()
    fastify.expvar.delete(name, v)
  })
}
