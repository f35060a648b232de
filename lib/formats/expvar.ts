// Go's /debug/vars document: "{\n", `"name": value` entries joined by ",\n", then "\n}\n".
import type { Format, Reading } from '../collect.js'
import { MAX_TEXT, quote, writeJSON } from '../json.js'

// "{\n" + "\n}\n", and ",\n" between entries.
const FRAME = 5
const SEPARATOR = 2

/**
 * Go's document as a format. Each registry has its own (it keeps the quoted names), made by
 * expvarFormat().
 */
export function expvarFormat (): Format {
  // `"name": `, quoted once per name. Rebuilt when names come and go, so it never outgrows them.
  let prefixes = new Map<string, string>()
  const prefix = (name: string): string => {
    let quoted = prefixes.get(name)
    if (quoted === undefined) {
      quoted = quote(name) + ': '
      prefixes.set(name, quoted)
    }
    return quoted
  }
  return {
    id: 'expvar',
    own: 'text',
    write (readings, fail) {
      if (prefixes.size > 2 * readings.length + 64) prefixes = new Map()
      const entries: string[] = []
      const written: Reading[] = []
      let length = FRAME
      for (const reading of readings) {
        let text = reading.text
        if (text === undefined) {
          try {
            text = writeJSON(reading.value)
          } catch (err) {
            fail(reading, err)
            continue
          }
        }
        const entry = prefix(reading.name) + text
        length += entry.length + SEPARATOR
        entries.push(entry)
        written.push(reading)
      }
      if (length > MAX_TEXT) fitLimit(entries, written, length, fail)
      return frame(entries)
    }
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
export function frame (entries: string[]): string {
  if (entries.length === 0) return '{\n\n}\n'
  // One join, so that the document is one flat string: the socket then copies it without first
  // flattening a tree of concatenations.
  entries[0] = '{\n' + entries[0]
  entries[entries.length - 1] += '\n}\n'
  return entries.join(',\n')
}
