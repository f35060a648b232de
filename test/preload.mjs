// Loaded ahead of tap's TypeScript loader in every test process (npm run unit puts it first in
// NODE_OPTIONS). Modules imported after the loader each pass through its hooks, on their own
// thread: typebox is 709 ES modules and cost a test process 0.4-1 s that way, against about
// 0.2 s at Node's own speed; tap's own modules cost a test file about 0.3 s of CPU. Imported
// here first, later imports of them find them loaded. tap itself only in a test file's own
// process: the children a test starts inherit NODE_OPTIONS, and tap prints TAP when imported.
import 'typebox'
if (process.argv[1]?.endsWith('.test.ts') === true) await import('tap')
