// The messages between workers and the primary's relay, over the cluster's IPC channels: one schema per protocol version.
import Type, { type Static, type TSchema } from 'typebox'
import { Compile } from 'typebox/compile'
import { MAX_LITERAL } from '../formats/values.js'

/**
 * What a scrape asks the workers for: their values (the scrape core's readings as plain data, for
 * the cluster's document), their share of a format that combines per worker (the metrics: each
 * worker's families written by itself, `format` naming the format), or their own document as they
 * write it (`?worker=`).
 */
export type Want = 'values' | 'share' | 'document'

/** Every message carries this key, so that the relay and the workers ignore anyone else's messages. */
export const TAG = 'fastify-expvar'

/**
 * The version this code speaks. Version 1 (plugin 0.1, no `v` key) had no instance addressing and
 * no deadlines; version 2 adds them as optional-to-read keys, so a version-1 relay still relays
 * version-2 workers, and this relay speaks version 1 to version-1 workers (a rolling restart).
 * Version 3 adds the `share` request (with the format's id); a sibling of an older version is
 * asked for its values instead, which the asker writes as its share.
 */
export const VERSION = 3
export const VERSIONS: readonly number[] = [1, 2, 3]

// Bounds on what one message may hold, so that no field can make the other side's work unbounded.
/** A request id or relay key. */
export const MAX_ID = 128
/** The var names of one request: the document route's query is at most 4096 characters. */
const MAX_NAMES = 4096
const MAX_NAME = 4096
/** Worker ids in one message: more than a cluster can have. */
const MAX_WORKERS = 65536
/** A reason text in `why`. */
const MAX_REASON = 512
/** The longest timeout setTimeout keeps. */
const MAX_TIMEOUT = 2 ** 31 - 1

const WorkerId = Type.Integer({ minimum: 0, maximum: MAX_TIMEOUT })
const Id = Type.String({ minLength: 1, maxLength: MAX_ID })
const Instance = Type.String({ minLength: 1, maxLength: MAX_ID })
const WantSchema = Type.Union([Type.Literal('values'), Type.Literal('document')])
const WantSchema3 = Type.Union([Type.Literal('values'), Type.Literal('share'), Type.Literal('document')])
/** The id of the format a share is asked in. */
const FormatId = Type.String({ minLength: 1, maxLength: MAX_ID })
const Names = Type.Array(Type.String({ minLength: 1, maxLength: MAX_NAME }), { maxItems: MAX_NAMES })
const Workers = Type.Array(WorkerId, { maxItems: MAX_WORKERS })

// The metadata the cluster's aggregation and formats read; other keys pass unread.
const Meta = Type.Object({
  help: Type.Optional(Type.String()),
  type: Type.Optional(Type.Union([Type.Literal('counter'), Type.Literal('gauge')])),
  label: Type.Optional(Type.String({ pattern: '^[a-zA-Z_][a-zA-Z0-9_]*$', maxLength: 256 })),
  aggregate: Type.Optional(Type.Union([Type.Literal('sum'), Type.Literal('max'), Type.Literal('min'), Type.Literal('avg'), Type.Literal('first')]))
})

/** One var's value as plain data (formats/values.ts): the literal JSON cannot carry beside it, at its path. */
const WireReadingSchema = Type.Object({
  name: Type.String({ minLength: 1 }),
  kind: Type.String({ pattern: '^[a-z]{1,32}$' }),
  meta: Type.Optional(Meta),
  value: Type.Unknown(),
  exact: Type.Optional(Type.Array(Type.Tuple([
    Type.Array(Type.Union([Type.String(), Type.Integer({ minimum: 0 })])),
    Type.String({ maxLength: MAX_LITERAL, pattern: '^(-?[0-9]+|NaN|-?Infinity)$' })
  ])))
})

/** A worker's answer: its readings for `values`, its document's text for `document`. */
const AnswerSchema = Type.Union([Type.String(), Type.Array(WireReadingSchema)])

// Version 1: the messages of plugin 0.1, which has no `v` key.
const V1 = {
  /** Worker -> primary. */
  toPrimary: {
    /** This worker serves vars (sent when the plugin registers, and again when a relay starts). */
    hello: Type.Object({}),
    /** Ask the siblings (or only one) for their values or documents. */
    collect: Type.Object({ id: Id, want: WantSchema, vars: Type.Optional(Names), only: Type.Optional(WorkerId), timeout: Type.Integer({ minimum: 1, maximum: MAX_TIMEOUT }) }),
    /** A sibling's answer to a read. */
    reading: Type.Object({ key: Id, answer: AnswerSchema })
  },
  /** Primary -> worker. */
  toWorker: {
    /** A relay runs (up) or has stopped; `known` when it answers this worker's hello. */
    relay: Type.Object({ up: Type.Boolean(), known: Type.Optional(Type.Boolean()) }),
    /** Who was asked, and the live workers that cannot answer. */
    asked: Type.Object({ id: Id, workers: WorkerId, asked: Workers, missing: Workers }),
    /** Your values (or document), please; key names the relay's request. */
    read: Type.Object({ key: Id, want: WantSchema, vars: Type.Optional(Names) }),
    /** A sibling's answer, with its id. */
    reading: Type.Object({ id: Id, worker: WorkerId, answer: AnswerSchema }),
    /** A worker that was asked exited before it answered. */
    gone: Type.Object({ id: Id, worker: WorkerId })
  }
} as const

// Version 2: version 1's messages plus the sending or addressed plugin instance (`instance` from a
// worker, `to` from the primary), the asker's deadline, and why a worker cannot answer.
const To = { to: Type.Optional(Instance) }
const Deadline = { deadline: Type.Optional(Type.Number()) }
const V2 = {
  toPrimary: {
    hello: Type.Object({ instance: Instance }),
    /** The instance stopped (its app closed): it is no longer asked. */
    leave: Type.Object({ instance: Instance }),
    collect: Type.Object({ ...V1.toPrimary.collect.properties, instance: Instance, ...Deadline }),
    reading: V1.toPrimary.reading
  },
  toWorker: {
    relay: Type.Object({ ...V1.toWorker.relay.properties, ...To }),
    /** `why`: for each worker in `missing` that the relay could tell, the reason. */
    asked: Type.Object({ ...V1.toWorker.asked.properties, ...To, why: Type.Optional(Type.Array(Type.Tuple([WorkerId, Type.String({ maxLength: MAX_REASON })]), { maxItems: MAX_WORKERS })) }),
    read: Type.Object({ ...V1.toWorker.read.properties, ...To, ...Deadline }),
    reading: Type.Object({ ...V1.toWorker.reading.properties, ...To }),
    gone: Type.Object({ ...V1.toWorker.gone.properties, ...To, reason: Type.Optional(Type.String({ maxLength: MAX_REASON })) })
  }
} as const

// Version 3: version 2's messages, a request's `want` may be `share`, with the format's id.
const Share = { want: WantSchema3, format: Type.Optional(FormatId) }
const V3 = {
  toPrimary: { ...V2.toPrimary, collect: Type.Object({ ...V2.toPrimary.collect.properties, ...Share }) },
  toWorker: { ...V2.toWorker, read: Type.Object({ ...V2.toWorker.read.properties, ...Share }) }
} as const

type Tagged<K extends string, S extends TSchema> = { readonly [TAG]: K, readonly v?: number } & Readonly<Static<S>>
type MessagesOf<T extends Record<string, TSchema>> = { [K in keyof T & string]: Tagged<K, T[K]> }[keyof T & string]

/** What a worker sends the primary, in any version this code reads. */
export type ToPrimary = MessagesOf<typeof V3.toPrimary>
/** What the primary sends a worker, in any version this code reads. */
export type ToWorker = MessagesOf<typeof V3.toWorker>

type Side = 'toPrimary' | 'toWorker'
type Check = (value: unknown) => boolean
type Checks = Readonly<Record<Side, Readonly<Record<string, Check>>>>

function compiled (side: Record<string, TSchema>): Record<string, Check> {
  const checks: Record<string, Check> = {}
  for (const [kind, schema] of Object.entries(side)) {
    const validator = Compile(schema)
    checks[kind] = (value) => validator.Check(value)
  }
  return checks
}

// Compiled once when the module loads: constant tables, not state.
const CHECKS: Readonly<Record<number, Checks>> = {
  1: { toPrimary: compiled(V1.toPrimary), toWorker: compiled(V1.toWorker) },
  2: { toPrimary: compiled(V2.toPrimary), toWorker: compiled(V2.toWorker) },
  3: { toPrimary: compiled(V3.toPrimary), toWorker: compiled(V3.toWorker) }
}

/** What a received message is: ours and fit, ours and unfit (with why), or not ours at all. */
type Received<M> =
  | { readonly fit: true, readonly message: M, readonly version: number }
  | { readonly fit: false, readonly version: unknown, readonly reason: string }
  | undefined

/** A value named in a reason: its text cut short, so that a reason stays within its bound however long the value. */
export function describe (value: unknown): string {
  if (typeof value === 'string') return `"${value.slice(0, 32)}${value.length > 32 ? '…' : ''}"`
  return typeof value === 'number' ? String(value) : typeof value
}

/**
 * Reads a message arriving on `side`: undefined when it is not ours (no tag: another library's
 * message on the same channel), else checked against the schema of its version and kind. Never
 * throws, whatever the message holds; costs one pass over it at most.
 */
function receive<M> (message: unknown, side: Side): Received<M> {
  if (typeof message !== 'object' || message === null || Array.isArray(message)) return undefined
  const kind: unknown = (message as Record<string, unknown>)[TAG]
  if (kind === undefined) return undefined
  const version: unknown = Object.hasOwn(message, 'v') ? (message as { v: unknown }).v : 1
  const checks = typeof version === 'number' ? CHECKS[version] : undefined
  if (checks === undefined) return { fit: false, version, reason: `protocol version ${describe(version)} is not one this side speaks (${VERSIONS.join(', ')})` }
  const check = typeof kind === 'string' && Object.hasOwn(checks[side], kind) ? checks[side][kind] as Check : undefined
  if (check === undefined) return { fit: false, version, reason: `${describe(kind)} is no message of protocol version ${String(version)} in this direction` }
  if (!check(message)) return { fit: false, version, reason: `a "${kind as string}" message that does not fit protocol version ${String(version)}` }
  return { fit: true, message: message as M, version: version as number }
}

/** A message from a worker, as the primary reads it. */
export function receiveFromWorker (message: unknown): Received<ToPrimary> {
  return receive(message, 'toPrimary')
}

/** A message from the primary, as a worker reads it. */
export function receiveFromPrimary (message: unknown): Received<ToWorker> {
  return receive(message, 'toWorker')
}

/** The version of a message that fits: version 1 messages have no `v` key. */
export function versioned<M extends object> (version: number, message: M): M {
  return version === 1 ? message : { ...message, v: version }
}
