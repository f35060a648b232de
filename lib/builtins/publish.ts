// How a builtin publishes: through the public registry, and only for as long as its instance lives.
import type { FastifyInstance } from 'fastify'
import type { Var } from '../../types/index.js'
import type { Exposer } from '../families.js'
import { EXPOSE, type Registry } from '../registry.js'

/** How a builtin is named as the source of its var in logs and collision errors. */
export function builtinSource (name: string): string {
  return `fastify-expvar builtin ${name}`
}

/**
 * Publishes a builtin's value function (or Var) under name, named as a builtin in logs. When the
 * instance closes, `stop` ends whatever the builtin started and the registration is withdrawn, so
 * a registry shared with later instances keeps no var of a closed one. `exposer` maps its value to
 * prom-client's families in the exposition formats; without one (cmdline) it is not exposed there.
 */
export function publishBuiltin (fastify: FastifyInstance, name: string, published: Var | (() => unknown), stop?: () => void, exposer: Exposer = () => []): void {
  const source = builtinSource(name)
  // The decorator holds this package's Registry (index.ts); its public type has no EXPOSE.
  const registry = fastify.expvar as Registry
  let v: Var
  try {
    v = typeof published === 'function'
      ? registry.register({ name, source, value: published })
      : registry.register(name, published)
  } catch (err) {
    // Refused (a duplicate under collisions: 'error'): what the builtin started must not outlive it.
    stop?.()
    throw err
  }
  registry[EXPOSE](name, v, exposer)
  fastify.addHook('onClose', async () => {
    stop?.()
    registry[EXPOSE](name, v, undefined)
    registry.delete(name, v)
  })
}
