// Go's `cmdline` var: process.argv, with the values of secret-looking arguments and URL credentials redacted.
import type { Var } from '../../types/index.js'
import { writeJSON } from '../json.js'
import { type Builtin, builtinSource, publishBuiltin } from './publish.js'

const REDACTED = '[REDACTED]'

// The one list of words that make a name look secret: flag names, NAME=value names and URL
// parameter names are all tested against it. Literal alternatives only, so a test costs at most
// (length of the name) × (length of the words): linear in the argument.
const SECRET_WORD = /secret|token|key|pass|pwd|auth|credential/i
// What ends a name and starts its value: `--password=x`, `--password:x`, `--Authorization: Bearer x`.
const SEPARATORS = '=: \t\n\r'
// A positional NAME=value (DB_PASSWORD=x, db:password=x): only names made of these, so that a URL
// (`https://x/keys?id=1`) is not taken for one.
const POSITIONAL_NAME = /^[A-Za-z_][\w.\-[\]:]*$/
// Where a URL parameter starts (`?`, `&`, `;`, and `#` for a fragment such as `#access_token=…`),
// and where its value ends.
const PARAM_START = '?&;#'
const PARAM_END = '&# \t\n\r'
const SCHEME_CHAR = /[A-Za-z\d+.-]/

function isSpace (char: string | undefined): boolean {
  return char === ' ' || char === '\t' || char === '\n' || char === '\r'
}

// A flag (`-x`, `--name…`): what ends a bare secret flag's wait for its value. `-5` is a value.
const FLAG = /^--?[A-Za-z]/

// What secretValueStart says of a secret name with no separator after it (`--token`): the next
// argument is its value.
const BARE = -2

/**
 * Where the value of a secret-named argument starts: after the first separator (and the spaces
 * after it) that follows the first secret word of the name part (the text before the first `=` or
 * space). -1 when the name part holds no secret word, BARE when it does but no separator follows.
 * Every step moves forward: linear in arg.
 */
function secretValueStart (arg: string): number {
  const dashes = arg.startsWith('--') ? 2 : arg.startsWith('-') ? 1 : 0
  let nameEnd = dashes
  while (nameEnd < arg.length && arg[nameEnd] !== '=' && !isSpace(arg[nameEnd])) nameEnd++
  const name = arg.slice(dashes, nameEnd)
  // A positional argument has a name part only when it reads as one: `API_KEY=x`, `Authorization: x`.
  if (dashes === 0 && !POSITIONAL_NAME.test(name)) return -1
  const word = SECRET_WORD.exec(name)
  if (word === null) return -1
  let i = dashes + word.index + word[0].length
  while (i < arg.length && !SEPARATORS.includes(arg[i] as string)) i++
  if (i === arg.length) return dashes === 0 ? -1 : BARE
  i++
  while (isSpace(arg[i])) i++
  return i
}

/** The last `@` in arg[from, to), or -1: searched within those bounds only, so each URL costs its own length. */
function lastAt (arg: string, from: number, to: number): number {
  for (let i = to - 1; i >= from; i--) if (arg[i] === '@') return i
  return -1
}

/**
 * Redacts the userinfo of every `scheme://user:password@` and `scheme://token@` in arg. A password
 * may hold an unescaped `@`, `#`, `/` or space, so it runs to the last `@` before the next
 * `scheme://` (over-redacting an `@` later in the URL rather than leaving a password's tail).
 */
function redactUserinfo (arg: string): string {
  let out = ''
  let copied = 0
  let at = arg.indexOf('://')
  while (at !== -1) {
    const next = arg.indexOf('://', at + 3)
    const start = at + 3
    let end = next === -1 ? arg.length : next
    // The next URL's scheme is not part of this one's userinfo.
    if (next !== -1) while (end > start && SCHEME_CHAR.test(arg[end - 1] as string)) end--
    let i = start
    while (i < end && !':/?#@'.includes(arg[i] as string) && !isSpace(arg[i])) i++
    const userinfoEnd = arg[i] === '@' ? i : arg[i] === ':' ? lastAt(arg, i, end) : -1
    if (userinfoEnd !== -1 && at > 0 && SCHEME_CHAR.test(arg[at - 1] as string)) {
      out += arg.slice(copied, start) + REDACTED
      copied = userinfoEnd
    }
    at = next
  }
  return copied === 0 ? arg : out + arg.slice(copied)
}

/** Redacts the value of every URL parameter with a secret-looking name: `?api_key=…`, `#access_token=…`. */
function redactParams (arg: string): string {
  let out = ''
  let copied = 0
  let i = 0
  while (i < arg.length) {
    if (!PARAM_START.includes(arg[i] as string)) {
      i++
      continue
    }
    const nameStart = ++i
    while (i < arg.length && arg[i] !== '=' && !PARAM_START.includes(arg[i] as string) && !isSpace(arg[i])) i++
    if (arg[i] !== '=' || !SECRET_WORD.test(arg.slice(nameStart, i))) continue
    const valueStart = ++i
    while (i < arg.length && !PARAM_END.includes(arg[i] as string)) i++
    out += arg.slice(copied, valueStart) + REDACTED
    copied = i
  }
  return copied === 0 ? arg : out + arg.slice(copied)
}

/** argv with secrets replaced by `[REDACTED]`; the names themselves stay readable. */
export function redactArgv (argv: readonly string[]): string[] {
  const out: string[] = []
  let valueFollows = false
  for (const arg of argv) {
    if (valueFollows && !FLAG.test(arg)) {
      out.push(REDACTED)
      valueFollows = false
      continue
    }
    const valueStart = secretValueStart(arg)
    // A secret name with nothing after it (`--token`, `--Authorization:`) takes the next argument as its value.
    valueFollows = valueStart === BARE || valueStart === arg.length
    if (valueStart === BARE) {
      out.push(arg)
    } else if (valueStart !== -1) {
      out.push(arg.slice(0, valueStart) + REDACTED)
    } else {
      out.push(redactParams(redactUserinfo(arg)))
    }
  }
  return out
}

/**
 * `cmdline` as a var that keeps its last argv, element by element, with the array and JSON text
 * made from it: argv almost never changes, so a scrape compares strings instead of redacting
 * again. Still read at every scrape, since the program may change argv as Go's os.Args can.
 */
class ArgvVar implements Var {
  readonly source = builtinSource('cmdline')
  private readonly redact: boolean
  private seen: readonly string[] = []
  private published: readonly string[] = []
  private text = '[]'

  constructor (redact: boolean) {
    this.redact = redact
  }

  value (): readonly string[] {
    const argv = process.argv
    if (!sameStrings(argv, this.seen)) {
      this.seen = [...argv]
      this.published = Object.freeze(this.redact ? redactArgv(this.seen) : [...this.seen])
      this.text = writeJSON(this.published)
    }
    return this.published
  }

  string (): string {
    this.value()
    return this.text
  }
}

function sameStrings (a: readonly unknown[], b: readonly string[]): boolean {
  if (a.length !== b.length) return false
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false
  return true
}

/** Publishes `cmdline`, read at every scrape. */
const cmdline: Builtin<{ redact: boolean }>['plugin'] = async function cmdline (fastify, options) {
  publishBuiltin(fastify, cmdlineBuiltin, new ArgvVar(options.redact))
}

/** cmdline in the table: no metric families (its value is text); in a cluster, the lowest-numbered worker's. */
export const cmdlineBuiltin: Builtin<{ redact: boolean }> = { name: 'cmdline', plugin: cmdline, families: () => [], aggregate: (values) => values[0] }
