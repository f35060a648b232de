// Go's framing of /debug/vars: "{\n", `"name": value` entries joined by ",\n", then "\n}\n".

/** Frames entries already written as `"name": <json>` the way Go's expvarHandler does. */
export function writeDocument (entries: readonly string[]): string {
  if (entries.length === 0) return '{\n\n}\n'
  // One join, so that the document is one flat string: the socket then copies it without first
  // flattening a tree of concatenations.
  const framed = [...entries]
  framed[0] = '{\n' + framed[0]
  framed[framed.length - 1] += '\n}\n'
  return framed.join(',\n')
}
