// The core's format contract: a scrape's reading of one name, a format whose body is any T, and its writer.
import type * as api from '../types/index.js'
import type { Fail, Format, Var, VarKind, Writer } from '../types/index.js'
import type { Families } from './families.js'

// The format types are public (types/); lib's formats take them from here with the core's own.
export type { Fail, Format, VarKind, Writer }

/**
 * A scrape's reading of one name, with the families of the builtin it is (undefined for an
 * ordinary var, which each format maps by its own rules).
 */
export interface Reading extends api.Reading {
  readonly builtin: { readonly families: Families } | undefined
  /**
   * The var itself, for a format that reads self-rendering vars itself (`readsVars`): one
   * registration of a var that is not a function. Its value is then not pulled (undefined).
   */
  readonly var?: Var | undefined
  /** Constant labels of every sample the reading gives: a cluster's `worker`, for a format that labels per worker. */
  readonly labels?: Readonly<Record<string, string>> | undefined
}

/**
 * A format whose body is any T, not only text: the public Format is CoreFormat<string>. The
 * cluster's values (formats/values.ts) are one, sent over IPC as data.
 */
export interface CoreFormat<T> {
  readonly id: string
  open (fail: Fail): CoreWriter<T>
  /**
   * Set by a format that reads each self-rendering var (a handle, a var with its own string())
   * itself, from `reading.var`, rather than through its value(): Go's document pastes String().
   */
  readonly readsVars?: true
  /**
   * How a cluster feeds this format its workers' readings. Without it (Go's document, a user's
   * format) they are aggregated: one reading per name, combined by the cluster's rules. With it,
   * each worker's readings are handed over as they are, labelled `label="<worker id>"`, and the
   * cluster's own var named under `namespace` (the exposition: Prometheus sums, and sees each
   * worker's counter resets).
   */
  readonly perWorker?: PerWorker
}

/** A format's word on how a cluster feeds it: each worker's readings, labelled. */
export interface PerWorker {
  readonly label: string
  readonly namespace: string
}

/** A Writer whose body is any T. */
export interface CoreWriter<T> {
  add (reading: Reading): void
  end (): T
}

/** A writer's body with every reading added, in order. */
export function writeEach<R, T> (writer: { add (reading: R): void, end (): T }, readings: readonly R[]): T {
  for (const reading of readings) writer.add(reading)
  return writer.end()
}
