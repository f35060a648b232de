// The exposition formats as the registry, the cluster and the metrics route use them: their ids, content types and per-worker rule.
import type { CoreFormat, CoreWriter, Fail, Reading } from '../../format.js'
import { NameCache } from './names.js'
import { ExpositionMemo } from './reuse.js'
import { ExpositionWriter } from './writer.js'

export const TEXT_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8'

export const OPENMETRICS_CONTENT_TYPE = 'application/openmetrics-text; version=1.0.0; charset=utf-8'

/**
 * An exposition format for registry.scrape(): a builtin's reading becomes its own families, an
 * ordinary var's is mapped by the rules of readings.ts.
 */
export function expositionFormat (openmetrics: boolean, namespace: string): CoreFormat<string> {
  const names = new NameCache()
  const memo = new ExpositionMemo()
  const open = (fail: Fail): CoreWriter<string> => new ExpositionWriter<Reading>({ openmetrics, namespace, fail, names, memo })
  // In a cluster, each worker's samples are labelled worker="<id>", not summed.
  return { id: `${openmetrics ? 'openmetrics' : 'prometheus'}:${namespace}`, open, perWorker: { label: 'worker', namespace } }
}
