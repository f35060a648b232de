// The users app's vars, as definitions.
import { ExpVar, defineExpvars } from '../../../../index.js'

class Signups extends ExpVar {
  name = 'signups'
  value (): Record<string, number> { return { today: 3, week: 41 } }
}

export default defineExpvars(Signups, { name: 'queue', value: () => ({ mailer: 2 }) })
