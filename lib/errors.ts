// The coded errors (FST_EXPVAR_*) the plugin and the registry throw at register time.
import { createError } from '@fastify/error'

export const FST_EXPVAR_INVALID_OPTION = createError('FST_EXPVAR_INVALID_OPTION', 'Invalid option "%s": %s', 500, TypeError)
export const FST_EXPVAR_ALREADY_REGISTERED = createError('FST_EXPVAR_ALREADY_REGISTERED', 'fastify-expvar is already registered on this instance (fastify.expvar exists): register it once, and publish more vars through fastify.expvar')
export const FST_EXPVAR_INVALID_NAME = createError('FST_EXPVAR_INVALID_NAME', 'Invalid var name %s: a var name must be a non-empty string', 500, TypeError)
export const FST_EXPVAR_INVALID_VAR = createError('FST_EXPVAR_INVALID_VAR', 'Invalid var %s: %s', 500, TypeError)
export const FST_EXPVAR_INVALID_VALUE = createError('FST_EXPVAR_INVALID_VALUE', 'Invalid argument to %s(): expected %s, got %s', 500, TypeError)
export const FST_EXPVAR_WRONG_KIND = createError('FST_EXPVAR_WRONG_KIND', 'Var "%s" is %s, not %s')
export const FST_EXPVAR_DUPLICATE = createError('FST_EXPVAR_DUPLICATE', 'Var "%s" is already registered (by %s); a second registration from %s is refused because collisions is "error"')
export const FST_EXPVAR_APP_NOT_FOUND = createError('FST_EXPVAR_APP_NOT_FOUND', 'App folder %s does not exist (resolved to %s)')
export const FST_EXPVAR_LOAD_FAILED = createError('FST_EXPVAR_LOAD_FAILED', 'Could not load expvar file %s: %s')
export const FST_EXPVAR_INVALID_EXPORT = createError('FST_EXPVAR_INVALID_EXPORT', 'The default export of expvar file %s is %s: export a Fastify plugin or defineExpvars(...)', 500, TypeError)
export const FST_EXPVAR_NOT_PRIMARY = createError('FST_EXPVAR_NOT_PRIMARY', 'aggregateWorkers() runs in the primary of a node:cluster; in a worker, register the plugin with cluster: true', 500, Error)
export const FST_EXPVAR_INVALID_META = createError('FST_EXPVAR_INVALID_META', 'Invalid metadata for var "%s": %s', 500, TypeError)
export const FST_EXPVAR_META_CONFLICT = createError('FST_EXPVAR_META_CONFLICT', 'Var "%s" is already published with %s; asking for it with %s is refused')
export const FST_EXPVAR_REENTRANT = createError('FST_EXPVAR_REENTRANT', 'A scrape of this registry was asked for while a var of it was being read (%s): a var cannot be its own registry\'s document')
