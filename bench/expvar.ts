// The plugin as it ships: dist/, compiled by tsc (`npm run build`, which the bench scripts run
// first). tsx's own transform of the sources names every class and function through a helper,
// which made handle calls measurably slower (map.add 18 ns instead of 7 ns) than what users run.
import type * as FastifyExpvar from '../index.js'

const shipped = await import(new URL('../dist/index.js', import.meta.url).href) as typeof FastifyExpvar

export const { Registry, aggregateWorkers } = shipped
export default shipped.default
