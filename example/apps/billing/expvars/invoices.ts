// The billing app's var: skipped in the example (skip: ['billing']), so never served.
import { defineExpvars } from '../../../../index.js'

export default defineExpvars({ name: 'invoices', value: () => ({ unpaid: 7 }) })
