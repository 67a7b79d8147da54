/**
 * The pages put what comes from peers into the document as text only: no
 * script of theirs parses markup, and none has inline script or style the
 * CSP would have to allow.
 */
import t from 'tap'
import { readdirSync, readFileSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

const STATIC = resolve(dirname(fileURLToPath(import.meta.url)), '../../src/cli/dashboard/static')
const files = readdirSync(STATIC)

t.test('no script of the pages parses markup', async t => {
  const scripts = files.filter(name => name.endsWith('.js'))
  t.ok(scripts.length >= 3)
  for (const name of scripts) {
    const source = readFileSync(join(STATIC, name), 'utf8')
    t.notMatch(source, /innerHTML|outerHTML|insertAdjacentHTML|document\.write|eval\(|new Function|setAttribute\('style'|setAttribute\('on/, name)
  }
})

t.test('no page has inline script, style or event handlers', async t => {
  for (const name of files.filter(name => name.endsWith('.html'))) {
    const html = readFileSync(join(STATIC, name), 'utf8')
    t.notMatch(html, /<script(?![^>]*\bsrc=)[^>]*>/, `${name}: every script is a file`)
    t.notMatch(html, /<style|\sstyle=|\son[a-z]+=/i, `${name}: no inline style or handler`)
  }
})
