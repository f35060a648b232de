// The document's two JSON writers agree: plain data (written through JSON.stringify) and the same
// data beside a bigint (which sends the whole value through the general writer) give the same
// text, and both equal JSON.stringify on data where Go's output and JSON.stringify's coincide
// (everywhere but integers from 2^53 on, which JSON.stringify shortens to `1.5e+300` and the
// document writes digit for digit).
import { test } from 'tap'
import { Registry } from '../index.js'

// A small deterministic generator (mulberry32), so a failure names an input that can be replayed.
function generator (seed: number): () => number {
  let a = seed
  return () => {
    a = (a + 0x6d2b79f5) | 0
    let t = Math.imul(a ^ (a >>> 15), 1 | a)
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

// Characters where both writers must agree: quotes, backslashes, control characters other than
// \b and \f (Go writes those as \u0008 and \u000c), non-ASCII and astral text. Go's HTML escapes
// (< > & U+2028 U+2029) differ from JSON.stringify by design and are tested elsewhere.
const ALPHABET = ['a', 'Z', '0', ' ', '"', '\\', '/', '\n', '\t', '\r', '\u0001', '\u001f', 'é', '漢', '😀', '\u007f']

function plainValue (random: () => number, depth: number): unknown {
  const pick = Math.floor(random() * (depth > 3 ? 5 : 7))
  switch (pick) {
    case 0: return Math.floor((random() - 0.5) * 2 ** 53)
    case 1: return [0.1, 1e-7, -1.5e300, 5e-324, 123.456, -0, 2 ** 52 + 0.5][Math.floor(random() * 7)]
    case 2: return Array.from({ length: Math.floor(random() * 6) }, () => ALPHABET[Math.floor(random() * ALPHABET.length)]).join('')
    case 3: return random() < 0.5
    case 4: return null
    case 5: return Array.from({ length: Math.floor(random() * 4) }, () => plainValue(random, depth + 1))
    default: {
      const object: Record<string, unknown> = {}
      for (let i = Math.floor(random() * 4); i > 0; i--) object[String(plainValue(random, 4))] = plainValue(random, depth + 1)
      return object
    }
  }
}

async function written (registry: Registry, value: unknown): Promise<string> {
  registry.delete('v')
  registry.register('v', () => value)
  const document = await registry.document({ vars: ['v'] })
  return document.slice('{\n"v": '.length, -'\n}\n'.length)
}

test('the plain-data writer, the general writer and JSON.stringify agree on the same inputs', async (t) => {
  const random = generator(9)
  const registry = new Registry()
  const disagreements: string[] = []
  for (let i = 0; i < 400; i++) {
    const value = plainValue(random, 0)
    const expected = JSON.stringify(value)
    const fast = await written(registry, value)
    // The bigint beside it makes the whole value non-plain: the general writer writes `value` too.
    const general = await written(registry, [value, 1n])
    const stringifyAgrees = !expected.includes('e+')
    if (`[${fast},1]` !== general || (stringifyAgrees && fast !== expected)) disagreements.push(`input ${i}: ${expected} | fast ${fast} | general ${general}`)
  }
  t.same(disagreements, [], 'no input is written differently')
})
