// The part of autocannon's programmatic API the benchmarks use (autocannon ships no types).
declare module 'autocannon' {
  interface Options {
    url: string
    connections?: number
    pipelining?: number
    duration?: number
  }
  interface Histogram {
    average: number
    total: number
  }
  interface Latency {
    /** Milliseconds. */
    p99: number
  }
  export interface Result {
    requests: Histogram
    latency: Latency
    duration: number
    errors: number
    timeouts: number
    non2xx: number
  }
  function autocannon (options: Options): Promise<Result>
  export default autocannon
}
