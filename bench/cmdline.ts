// The cmdline row: redaction's cost grows linearly with an argument's length.
import { MICRO_ROUNDS, median, ratio, report, timeOf } from './measure.js'

/**
 * Redaction's cost must grow linearly with an argument: the adversarial shapes that once took
 * seconds (a `;`-list of header names, `?key` repeated, URL schemes without userinfo), timed at
 * 64 KB and at 256 KB. Linear is 4×; a quadratic pattern would be 16×.
 */
export async function benchRedaction (): Promise<void> {
  const { redactArgv } = await import(new URL('../dist/lib/builtins/cmdline.js', import.meta.url).href) as { redactArgv: (argv: readonly string[]) => string[] }
  const argvOf = (size: number): string[] => ['authorization;x-api-key;', '?key', 'a://x:', '?api_key=v&', 'pass']
    .map((unit, i) => (i === 0 ? '--allowed-headers=' : i === 4 ? '--' : '') + unit.repeat(Math.ceil(size / unit.length)))
  const small = argvOf(64 * 1024)
  const large = argvOf(256 * 1024)
  const a: number[] = []
  const b: number[] = []
  for (let r = 0; r < MICRO_ROUNDS; r++) {
    a.push(timeOf(() => redactArgv(small)))
    b.push(timeOf(() => redactArgv(large)))
  }
  const x = median(b) / median(a)
  report({
    name: 'cmdline redaction of 5 adversarial arguments, 256 KB each vs 64 KB each (linear: 4×)',
    measured: `${ratio(x)} (${(median(b) / 1e6).toFixed(1)} vs ${(median(a) / 1e6).toFixed(1)} ms)`,
    target: '≤ 6.00×',
    verdict: x <= 6 ? 'PASS' : 'MISS'
  })
}
