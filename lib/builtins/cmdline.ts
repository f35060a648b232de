// Go's `cmdline` var: process.argv, with the values of secret-looking flags and URL credentials redacted.
import type { FastifyPluginAsync } from 'fastify'
import { publishBuiltin } from './publish.js'

export const REDACTED = '[REDACTED]'

// A flag or variable name that suggests its value is a secret: --password, --api-key, DB_TOKEN, …
const SECRET_NAME = /secret|token|key|pass|pwd|auth|credential/i
// `--name=value`, `-name=value` or `NAME=value`: the name and the value in one argument.
const ASSIGNMENT = /^(-{0,2}[A-Za-z_][\w.-]*)=/
// `--name` or `-n` on its own: its value, if any, is the next argument.
const FLAG = /^--?[A-Za-z][\w.-]*$/
// The userinfo of a URL, `scheme://user:password@` or `scheme://token@`, up to its last `@`
// (an unescaped `@` in a password must not leave the rest of it readable).
const URL_USERINFO = /([A-Za-z][A-Za-z\d+.-]*:\/\/)[^\s/?#]+@/g
// A query parameter with a secret-looking name: `?api_key=…`, `&access_token=…`.
const SECRET_PARAM = /([?&;][^=&#\s]*(?:secret|token|key|pass|pwd|auth|credential)[^=&#\s]*=)[^&#\s]*/gi

/** argv with secrets replaced by `[REDACTED]`; the flag names themselves stay readable. */
export function redactArgv (argv: readonly string[]): string[] {
  const out: string[] = []
  let secretFollows = false
  for (const arg of argv) {
    if (secretFollows && !FLAG.test(arg)) {
      out.push(REDACTED)
      secretFollows = false
      continue
    }
    const assignment = ASSIGNMENT.exec(arg)
    if (assignment !== null && SECRET_NAME.test(assignment[1] as string)) {
      out.push(assignment[0] + REDACTED)
      secretFollows = false
      continue
    }
    secretFollows = assignment === null && FLAG.test(arg) && SECRET_NAME.test(arg)
    out.push(arg.replace(URL_USERINFO, `$1${REDACTED}@`).replace(SECRET_PARAM, `$1${REDACTED}`))
  }
  return out
}

/** Publishes `cmdline`, read at every scrape: argv can be changed by the program, as Go's os.Args can. */
export const cmdline: FastifyPluginAsync<{ redact: boolean }> = async function cmdline (fastify, options) {
  publishBuiltin(fastify, 'cmdline', options.redact ? () => redactArgv(process.argv) : () => process.argv)
}
