// Go's /debug/vars document: "{\n", `"name": value` entries joined by ",\n", then "\n}\n".
import type { CoreFormat, CoreWriter, Fail, Reading } from '../format.js'
import { quote } from '../go-escapes.js'
import { MAX_TEXT } from '../plain.js'
import { type TextMemo, writeAgain } from '../text-memo.js'
import { ownText } from '../vars.js'

// "{\n" + "\n}\n", and ",\n" between entries.
const FRAME = 5
const SEPARATOR = 2

// Entries per reusable chunk of the document: small enough that one changed var rebuilds little.
const CHUNK = 32
// A quoted name is at most this many times as long as the name, plus its quotes (\u0000 for one
// character): a bound of the document's length that needs no quoting.
const QUOTED_PER_CHARACTER = 6

/** Text of the document between its framing, with its UTF-8 made when first sent. */
interface Piece {
  readonly text: string
  bytes?: Buffer
}

/** A run of the document's entries as last written: their names, their values' texts, and the text. */
interface Chunk extends Piece {
  readonly names: readonly string[]
  readonly texts: readonly string[]
}

const OPEN = Buffer.from('{\n')
const BETWEEN = Buffer.from(',\n')
const CLOSE = Buffer.from('\n}\n')

/**
 * A document as its pieces. document() joins them into one string; the route sends their bytes
 * as they are, so that an unchanged piece is neither joined into a new string nor encoded again:
 * a 10,000-var document is 1.4 MB, and fresh memory of that size per scrape was the longest stall.
 */
export class ExpvarDocument {
  #text: string | undefined
  #bytes: Buffer[] | undefined
  #length = 0
  /** The length of text() in UTF-16 code units, known without making it. */
  readonly length: number
  constructor (private readonly pieces: readonly Piece[]) {
    this.length = pieces.reduce((sum, piece) => sum + piece.text.length + SEPARATOR, FRAME - (pieces.length === 0 ? 0 : SEPARATOR))
  }

  /** The document as one string, exactly as Go frames it. */
  text (): string {
    this.#text ??= frame(this.pieces.map((piece) => piece.text))
    return this.#text
  }

  /** The same document as UTF-8, in pieces: these bytes in order are text() encoded. */
  bytes (): readonly Buffer[] {
    if (this.#bytes === undefined) {
      const bytes: Buffer[] = [OPEN]
      for (const piece of this.pieces) {
        piece.bytes ??= Buffer.from(piece.text)
        if (bytes.length > 1) bytes.push(BETWEEN)
        bytes.push(piece.bytes)
      }
      bytes.push(CLOSE)
      this.#bytes = bytes
      this.#length = bytes.reduce((sum, piece) => sum + piece.length, 0)
    }
    return this.#bytes
  }

  /** The byte length of bytes(). */
  byteLength (): number {
    this.bytes()
    return this.#length
  }
}

/** What a writer collects, one item per entry. */
interface Lists {
  readonly names: string[]
  readonly texts: string[]
  readonly readings: Reading[]
}

function isSame (chunk: Chunk, names: readonly string[], texts: readonly string[], from: number, to: number): boolean {
  if (chunk.names.length !== to - from) return false
  for (let i = from; i < to; i++) {
    if (chunk.texts[i - from] !== texts[i] || chunk.names[i - from] !== names[i]) return false
  }
  return true
}

/**
 * Go's document as a format: each self-rendering var's own text (String(), as Go pastes it), any
 * other value written as JSON. Each registry has its own: it keeps the quoted names, the values'
 * texts and the last document's chunks for the next scrape.
 */
export class ExpvarFormat implements CoreFormat<ExpvarDocument> {
  readonly id = 'expvar'
  readonly readsVars = true
  // `"name": `, quoted once per name. Rebuilt when names come and go, so it never outgrows them.
  #prefixes = new Map<string, string>()
  // The text of each value written from its value (a Func's, say), and its tokens: a value that
  // is the same data again is not written again.
  #memos = new Map<string, TextMemo>()
  // The last document in chunks of CHUNK entries: a chunk whose names and texts are the same
  // again (handles return the same string while unchanged) is reused as text, and when every
  // chunk is, the document itself.
  #chunks: Chunk[] = []
  #document: ExpvarDocument | undefined
  // The last writer's lists, for the next one to fill in place: grown by push() at every scrape,
  // a 10,000-var document's three lists made about 700 KB of garbage each time.
  #spare: Lists | undefined

  open (fail: Fail): CoreWriter<ExpvarDocument> {
    const lists = this.#spare ?? { names: [], texts: [], readings: [] }
    this.#spare = undefined
    return new ExpvarWriter(this, lists, fail)
  }

  /** A reading's text: a var's own, or its value's JSON, the same string again for the same data. */
  text (reading: Reading): string {
    if (reading.var !== undefined) return ownText(reading.var)
    const last = this.#memos.get(reading.name)
    const now = writeAgain(reading.value, last)
    if (now !== last) this.#memos.set(reading.name, now)
    return now.text
  }

  prefix (name: string): string {
    let quoted = this.#prefixes.get(name)
    if (quoted === undefined) {
      quoted = quote(name) + ': '
      this.#prefixes.set(name, quoted)
    }
    return quoted
  }

  /** The document of a writer's lists, which are kept for the next writer. */
  end (lists: Lists, bound: number, fail: Fail): ExpvarDocument {
    const { names, texts, readings } = lists
    this.#spare = lists
    if (this.#prefixes.size > 2 * names.length + 64) this.#prefixes = new Map()
    if (this.#memos.size > names.length + 64) this.#memos = new Map()
    if (bound <= MAX_TEXT) return this.#framed(names, texts)
    const entries = names.map((name, i) => this.prefix(name) + (texts[i] as string))
    // Left out until it fits, if it does not (the bound counted every name as escaped).
    fitLimit(entries, readings, entries.reduce((sum, entry) => sum + entry.length + SEPARATOR, FRAME - SEPARATOR), fail)
    this.#chunks = []
    this.#document = undefined
    return new ExpvarDocument(entries.map((text) => ({ text })))
  }

  #framed (names: readonly string[], texts: readonly string[]): ExpvarDocument {
    const next: Chunk[] = []
    let reused = this.#chunks.length === Math.ceil(names.length / CHUNK)
    for (let from = 0; from < names.length; from += CHUNK) {
      const to = Math.min(names.length, from + CHUNK)
      const old = this.#chunks[next.length]
      if (old !== undefined && isSame(old, names, texts, from, to)) {
        next.push(old)
        continue
      }
      reused = false
      const entries: string[] = new Array(to - from)
      for (let i = from; i < to; i++) entries[i - from] = this.prefix(names[i] as string) + (texts[i] as string)
      next.push({ names: names.slice(from, to), texts: texts.slice(from, to), text: entries.join(',\n') })
    }
    if (reused && this.#document !== undefined) return this.#document
    this.#chunks = next
    this.#document = new ExpvarDocument(next)
    return this.#document
  }
}

/** One document being written: the entries' names and texts, filled into the format's spare lists. */
class ExpvarWriter implements CoreWriter<ExpvarDocument> {
  #count = 0
  // At least the document's length: each name counted as quoted at its longest.
  #bound = FRAME
  constructor (readonly format: ExpvarFormat, readonly lists: Lists, readonly fail: Fail) {}

  add (reading: Reading): void {
    let text: string
    try {
      text = this.format.text(reading)
    } catch (err) {
      this.fail(reading, err)
      return
    }
    const { names, texts, readings } = this.lists
    this.#bound += QUOTED_PER_CHARACTER * reading.name.length + 4 + text.length + SEPARATOR
    names[this.#count] = reading.name
    texts[this.#count] = text
    readings[this.#count] = reading
    this.#count++
  }

  end (): ExpvarDocument {
    const { names, texts, readings } = this.lists
    names.length = this.#count
    texts.length = this.#count
    readings.length = this.#count
    return this.format.end(this.lists, this.#bound, this.fail)
  }
}

/** Leaves out the longest entries until the document fits in the longest string V8 can make. */
function fitLimit (entries: string[], written: Reading[], length: number, fail: (reading: Reading, err: unknown) => void): void {
  const byLength = entries.map((_, i) => i).sort((a, b) => (entries[b] as string).length - (entries[a] as string).length)
  const dropped = new Set<number>()
  for (const i of byLength) {
    if (length <= MAX_TEXT) break
    length -= (entries[i] as string).length + SEPARATOR
    dropped.add(i)
    fail(written[i] as Reading, new RangeError(`the document would be longer than the longest string V8 can make (${MAX_TEXT}); this var's text is ${(entries[i] as string).length} characters`))
  }
  let kept = 0
  for (let i = 0; i < entries.length; i++) {
    if (!dropped.has(i)) entries[kept++] = entries[i] as string
  }
  entries.length = kept
}

/** Frames entries already written as `"name": <json>` the way Go's expvarHandler does. */
function frame (entries: string[]): string {
  if (entries.length === 0) return '{\n\n}\n'
  // One join, so that the document is one flat string: the socket then copies it without first
  // flattening a tree of concatenations. join() returns a lone entry as it is, so one entry is
  // joined with the framing.
  if (entries.length === 1) return ['{\n', entries[0], '\n}\n'].join('')
  entries[0] = '{\n' + entries[0]
  entries[entries.length - 1] += '\n}\n'
  return entries.join(',\n')
}
