// The users app's vars, as a plugin: it reads a decorator the app registered.
import type { FastifyPluginAsync } from 'fastify'

declare module 'fastify' {
  interface FastifyInstance {
    sessions: Map<string, { user: string }>
  }
}

const sessions: FastifyPluginAsync = async function sessions (fastify) {
  fastify.expvar.register('sessions', () => ({ active: fastify.sessions.size }))
}

export default sessions
