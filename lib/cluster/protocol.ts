// The messages between workers and the primary's relay, over the cluster's IPC channels.
import type { WireReading } from '../formats/values.js'

/**
 * What a scrape asks the workers for: their values (the scrape core's readings as plain data, for
 * the cluster's document and metrics), or their own document as they write it (`?worker=`).
 */
export type Want = 'values' | 'document'

/** A worker's answer: its readings for `values`, its document's text for `document`. */
export type Answer = readonly WireReading[] | string

/** Every message carries this key, so that the relay and the workers ignore anyone else's messages. */
export const TAG = 'fastify-expvar'

export type Message =
  /** worker -> primary: this worker serves vars (sent when the plugin registers, and again when a relay starts). */
  | { readonly [TAG]: 'hello' }
  /** primary -> worker: a relay runs (up) or has stopped; `known` when it answers this worker's hello. */
  | { readonly [TAG]: 'relay', readonly up: boolean, readonly known?: boolean }
  /** worker -> primary: ask the siblings (or only one) for their values or documents. */
  | { readonly [TAG]: 'collect', readonly id: string, readonly want: Want, readonly vars?: readonly string[], readonly only?: number, readonly timeout: number }
  /** primary -> asker: who was asked, and the live workers that cannot answer (no plugin). */
  | { readonly [TAG]: 'asked', readonly id: string, readonly workers: number, readonly asked: readonly number[], readonly missing: readonly number[] }
  /** primary -> sibling: your values (or document), please; key names the relay. */
  | { readonly [TAG]: 'read', readonly key: string, readonly want: Want, readonly vars?: readonly string[] }
  /** sibling -> primary: the answer; primary -> asker the same, with the sibling's id. The relay never reads it. */
  | { readonly [TAG]: 'reading', readonly key: string, readonly answer: Answer }
  | { readonly [TAG]: 'reading', readonly id: string, readonly worker: number, readonly answer: Answer }
  /** primary -> asker: a worker that was asked exited before it answered. */
  | { readonly [TAG]: 'gone', readonly id: string, readonly worker: number }

export function isMessage (message: unknown): message is Message {
  return typeof message === 'object' && message !== null && typeof (message as Record<string, unknown>)[TAG] === 'string'
}
