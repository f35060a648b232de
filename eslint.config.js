import neostandard from 'neostandard'

export default neostandard({
  ts: true,
  ignores: ['dist/**', 'coverage/**', '.tap/**', '.pack/**', 'test/fixtures/apps/syntax-error/**']
})
