// Go's framing of /debug/vars: "{\n", `"name": value` entries joined by ",\n", then "\n}\n".

/** Frames entries already written as `"name": <json>` the way Go's expvarHandler does. */
export function writeDocument (entries: readonly string[]): string {
  return '{\n' + entries.join(',\n') + '\n}\n'
}
