// Loaded ahead of tap's TypeScript loader in every test process (npm run unit puts it first in
// NODE_OPTIONS). typebox is 709 ES modules: imported after the loader, each passes through the
// loader's hooks, on their own thread, and costs a test process 0.4-1 s; imported first, it loads
// at Node's own speed (about 0.2 s) and later imports of it find it already loaded.
import 'typebox'
