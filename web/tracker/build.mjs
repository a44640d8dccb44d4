// Builds weir.js: type-checks with tsc, bundles and minifies with esbuild, and refuses a script over 1.5 KB gzipped.
// Usage: node web/tracker/build.mjs <output file>. Prints the sizes and the SRI hash (docs/tracker.md).
import { spawnSync } from 'node:child_process'
import { createHash } from 'node:crypto'
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { gzipSync } from 'node:zlib'
import { build } from 'esbuild'

const MaxGzipBytes = 1536
const here = dirname(fileURLToPath(import.meta.url))
const output = process.argv[2]
if (!output) {
  console.error('usage: node web/tracker/build.mjs <output file>')
  process.exit(2)
}

const tsc = join(dirname(createRequire(import.meta.url).resolve('typescript/package.json')), 'bin', 'tsc')
const check = spawnSync(process.execPath, [tsc, '--noEmit', '-p', join(here, 'tsconfig.json')], { stdio: 'inherit' })
if (check.status !== 0) {
  console.error('weir.js: type errors (tsc --noEmit)')
  process.exit(1)
}

// The tracker reports the product's version, which Weir.Core's project file holds.
const core = readFileSync(join(here, '..', '..', 'src', 'Weir.Core', 'Weir.Core.csproj'), 'utf8')
const version = /<VersionPrefix>([^<]+)<\/VersionPrefix>/.exec(core)?.[1]
if (!version) {
  console.error('weir.js: no <VersionPrefix> in src/Weir.Core/Weir.Core.csproj')
  process.exit(1)
}

const result = await build({
  entryPoints: [join(here, 'src', 'index.ts')],
  bundle: true,
  minify: true,
  format: 'iife',
  target: 'es2017',
  legalComments: 'none',
  define: { WEIR_VERSION: JSON.stringify(version) },
  write: false,
  // Not the tsconfig's strictness: a "use strict" prologue would only cost bytes in an IIFE that needs none.
  tsconfigRaw: '{}',
  logLevel: 'warning',
})
const script = result.outputFiles[0].contents
// The server precompresses at the same level; SRI covers the decoded bytes, whichever encoding is served.
const gzipped = gzipSync(script, { level: 9 }).length
const integrity = 'sha384-' + createHash('sha384').update(script).digest('base64')
console.log(`weir.js ${version}: ${script.length} bytes, ${gzipped} bytes gzipped (limit ${MaxGzipBytes}), integrity ${integrity}`)
if (gzipped > MaxGzipBytes) {
  console.error(`weir.js: ${gzipped} bytes gzipped is over the limit of ${MaxGzipBytes}`)
  process.exit(1)
}
mkdirSync(dirname(output), { recursive: true })
writeFileSync(output, script)
