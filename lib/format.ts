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
   * How a cluster combines this format. Without it (Go's document, a user's format) the workers'
   * readings are aggregated: one reading per name, combined by the cluster's rules, fed to the
   * writer. With it, each worker writes its own share of the body, its samples labelled
   * `label="<worker id>"`, and the asking worker combines the shares (the exposition: Prometheus
   * sums, and sees each worker's counter resets).
   */
  readonly perWorker?: PerWorker
}

/** One worker's share of a cluster's scrape, read and checked: its worker id, and the format's own entries. */
export interface Share {
  readonly worker: string
  readonly entries: unknown
}

/** A format's word on how a cluster combines it: each worker's share, labelled, merged by the asker. */
export interface PerWorker {
  readonly label: string
  /** The namespace of the cluster's own var's names. */
  readonly namespace: string
  /** The format a worker writes its share in, labelled with its id: its text is sent to the asker. */
  share (worker: string): CoreFormat<string>
  /** A share's text as a worker sent it, parsed and checked; undefined when it does not fit. */
  read (worker: string, text: string): Share | undefined
  /** The share of a worker that sent its readings instead (an older protocol), written here. */
  labelled (worker: string, readings: readonly Reading[]): Share
  /** The body from every answering worker's share, in worker order, and the cluster's own readings (unlabelled, replacing any worker's of their names). */
  combine (shares: readonly Share[], own: readonly Reading[], fail: Fail): string
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
