// Go's string escapes: where they differ from JSON.stringify's, a string quoted with them, and
// JSON.stringify's text rewritten into them.
import { MAX_TEXT } from './plain.js'

// Characters Go escapes differently from JSON.stringify: HTML-significant ones and the JS line
// separators as \u00XX, backspace and form feed as \u0008 and \u000c rather than \b and \f.
// eslint-disable-next-line no-control-regex -- backspace and form feed are exactly what Go escapes differently
const GO_DIFFERS = /[<>&\u2028\u2029\x08\x0c]/
// Scans JSON.stringify's output: an escaped backslash is consumed whole so that `\\b` stays as is.
const GO_REWRITE = /\\\\|\\b|\\f|[<>&\u2028\u2029]/g
const GO_ESCAPES: Record<string, string> = {
  '\\\\': '\\\\',
  '\\b': '\\u0008',
  '\\f': '\\u000c',
  '<': '\\u003c',
  '>': '\\u003e',
  '&': '\\u0026',
  '\u2028': '\\u2028',
  '\u2029': '\\u2029'
}
const goEscape = (match: string): string => GO_ESCAPES[match] as string

// One global replace over a huge text collects every match at once, and V8 aborts the process
// ("invalid size") past tens of millions of them: a long text is rewritten a slice at a time.
const SLICE = 1 << 20

/**
 * The length goRewrite's result will have, counted without building anything: each of <>& and
 * the line separators grows by five characters, each \b and \f escape by four. A text that
 * cannot fit is refused at once instead of after rewriting hundreds of megabytes.
 */
function rewrittenLength (json: string): number {
  let length = json.length
  for (let i = 0; i < json.length; i++) {
    const code = json.charCodeAt(i)
    if (code === 0x3c || code === 0x3e || code === 0x26 || code === 0x2028 || code === 0x2029) length += 5
    // An escape is read whole, so that the b of an escaped backslash followed by b is not counted.
    else if (code === 0x5c) {
      const escaped = json.charCodeAt(++i)
      if (escaped === 0x62 || escaped === 0x66) length += 4
    }
  }
  return length
}

/** Rewrites JSON text into Go's escapes. Throws a RangeError when the result would be too long. */
function goRewrite (json: string): string {
  if (json.length <= SLICE) return json.replace(GO_REWRITE, goEscape)
  if (rewrittenLength(json) > MAX_TEXT) throw new RangeError(`the value's text would be longer than the longest string V8 can make (${MAX_TEXT})`)
  const pieces: string[] = []
  for (let start = 0; start < json.length;) {
    let end = Math.min(start + SLICE, json.length)
    // Never between a backslash and the character it escapes: an odd run of them ends an escape's start.
    let run = 0
    while (json.charCodeAt(end - 1 - run) === 0x5c) run++
    if (run % 2 === 1 && end < json.length) end--
    const piece = json.slice(start, end).replace(GO_REWRITE, goEscape)
    pieces.push(piece)
    start = end
  }
  return pieces.join('')
}

// Whatever JSON.stringify or Go would escape (surrogates: lone ones are escaped). Most names and
// keys have none of it and are quoted as they are, without a JSON.stringify call or a rewrite.
// eslint-disable-next-line no-control-regex -- control characters are exactly what must be escaped
const NEEDS_ESCAPE = /[\u0000-\u001f"\\<>&\u2028\u2029\ud800-\udfff]/

/** A JSON string literal for `s`, escaped exactly as Go's expvar escapes it. */
export function quote (s: string): string {
  if (!NEEDS_ESCAPE.test(s)) return '"' + s + '"'
  const json = JSON.stringify(s)
  return GO_DIFFERS.test(s) ? goRewrite(json) : json
}

// In JSON.stringify's output, where Go's escapes differ (an escaped backslash followed by b or f
// matches too; GO_REWRITE then leaves it as it is).
const GO_DIFFERS_IN_JSON = /[<>&\u2028\u2029]|\\[bf]/

/** JSON.stringify's text of a value, with its strings in Go's escapes. */
export function inGoEscapes (json: string): string {
  return GO_DIFFERS_IN_JSON.test(json) ? goRewrite(json) : json
}
