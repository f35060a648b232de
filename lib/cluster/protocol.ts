// The messages between workers and the primary's relay, over the cluster's IPC channels.

/** Every message carries this key, so that the relay and the workers ignore anyone else's messages. */
export const TAG = 'fastify-expvar'

export type Message =
  /** worker -> primary: this worker serves vars (sent when the plugin registers, and again when a relay starts). */
  | { readonly [TAG]: 'hello' }
  /** primary -> worker: a relay runs (up) or has stopped; `known` when it answers this worker's hello. */
  | { readonly [TAG]: 'relay', readonly up: boolean, readonly known?: boolean }
  /** worker -> primary: ask the siblings (or only one) for their documents. */
  | { readonly [TAG]: 'collect', readonly id: string, readonly vars?: readonly string[], readonly only?: number, readonly timeout: number }
  /** primary -> asker: who was asked, and the live workers that cannot answer (no plugin). */
  | { readonly [TAG]: 'asked', readonly id: string, readonly workers: number, readonly asked: readonly number[], readonly missing: readonly number[] }
  /** primary -> sibling: your document, please; key names the relay. */
  | { readonly [TAG]: 'read', readonly key: string, readonly vars?: readonly string[] }
  /** sibling -> primary: the document; primary -> asker the same, with the sibling's id. */
  | { readonly [TAG]: 'reading', readonly key: string, readonly text: string }
  | { readonly [TAG]: 'reading', readonly id: string, readonly worker: number, readonly text: string }
  /** primary -> asker: a worker that was asked exited before it answered. */
  | { readonly [TAG]: 'gone', readonly id: string, readonly worker: number }

export function isMessage (message: unknown): message is Message {
  return typeof message === 'object' && message !== null && typeof (message as Record<string, unknown>)[TAG] === 'string'
}
