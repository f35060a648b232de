'use strict'
// require('fastify-expvar'): the plugin function itself, as Fastify's JS plugins export it (fastify-plugin
// already puts .default and .fastifyExpvar on it), with the package's other exports beside them.
const ns = require('./dist/index.js')

module.exports = Object.assign(ns.default, ns)
