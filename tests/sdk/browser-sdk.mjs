// Runs another product's browser SDK, unchanged but for where it sends, in headless Chromium against a Weir server.
// Usage: node browser-sdk.mjs <posthog|plausible|segment> <Weir base URL, e.g. http://127.0.0.1:8080> <writeKey>
// The page is served by Playwright on the fake origin https://shop.example/ (the site's domain); the SDK's requests to
// Weir go to the real server. Each SDK sends a page view and a custom event with properties. Prints one JSON line:
// {"weir": [{method, path, status}], "errors": [console errors, page errors, failed requests]}.
import { createRequire } from 'node:module'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { gunzipSync } from 'node:zlib'
import { chromium } from 'playwright-core'

const [sdk, weir, writeKey] = process.argv.slice(2)
if (!sdk || !weir || !writeKey) {
  console.error('usage: node browser-sdk.mjs <posthog|plausible|segment> <weir base URL> <writeKey>')
  process.exit(2)
}

const here = path.dirname(fileURLToPath(import.meta.url))
// esbuild comes from the repository's root packages (the tracker's build uses it); the SDKs from this folder's.
const esbuild = createRequire(path.join(here, '..', '..', 'package.json'))('esbuild')

const origin = 'https://shop.example'
const pageUrl = `${origin}/pricing?utm_source=newsletter`
const referrer = 'https://search.example/?q=weir'

// Each page: the SDK set up as its documentation says, with Weir as its host, then one custom event.
const entries = {
  posthog: `
    import posthog from 'posthog-js'
    posthog.init(${JSON.stringify(writeKey)}, {
      api_host: ${JSON.stringify(weir)},
      request_queue_config: { flush_interval_ms: 200 },
      loaded: (ph) => ph.capture('Signup Clicked', { plan: 'pro', seats: 3 }),
    })`,
  plausible: `
    import { init, track } from '@plausible-analytics/tracker'
    init({ domain: 'shop.example', endpoint: ${JSON.stringify(weir + '/api/event')} })
    track('Signup Clicked', { props: { plan: 'pro', seats: '3' }, revenue: { amount: 29.5, currency: 'EUR' } })`,
  segment: `
    import { AnalyticsBrowser } from '@segment/analytics-next'
    const analytics = AnalyticsBrowser.load({ writeKey: ${JSON.stringify(writeKey)}, cdnURL: ${JSON.stringify(weir)} })
    analytics.page()
    analytics.track('Signup Clicked', { plan: 'pro', seats: 3 })`,
}

// The requests that carry events, per SDK: the script waits until two events were answered.
const isEventRequest = {
  posthog: (p) => /^\/(e|i\/v0\/e|capture|batch)\/?$/.test(p),
  plausible: (p) => p === '/api/event',
  segment: (p) => /^\/v1\/[tpb]$/.test(p),
}

// posthog-js batches events (gzip-compressed, as text/plain); the other SDKs send one event per request.
function eventsIn(request) {
  if (sdk !== 'posthog') return 1
  let body = request.postDataBuffer()
  if (!body) return 0
  if (body[0] === 0x1f && body[1] === 0x8b) body = gunzipSync(body)
  const json = JSON.parse(body.toString('utf8'))
  return Array.isArray(json) ? json.length : Array.isArray(json.batch) ? json.batch.length : 1
}

if (!entries[sdk]) {
  console.error(`unknown sdk '${sdk}'`)
  process.exit(2)
}

const bundle = await esbuild.build({
  stdin: { contents: entries[sdk], resolveDir: here, loader: 'js' },
  bundle: true,
  write: false,
  format: 'iife',
  platform: 'browser',
  target: 'es2020',
  define: { 'process.env.NODE_ENV': '"production"' },
  logLevel: 'silent',
})
const script = bundle.outputFiles[0].text

const html = `<!doctype html><html><head><meta charset="utf-8"><title>Pricing</title></head>
<body><h1>Pricing</h1><script src="/app.js"></script></body></html>`

const browser = await chromium.launch({
  executablePath: '/usr/bin/chromium',
  args: [
    '--no-sandbox',
    // Tracking scripts skip automated browsers (navigator.webdriver); this page stands for a real visitor's.
    '--disable-blink-features=AutomationControlled',
    // The page's fake public origin calls Weir on loopback, which Chromium would otherwise gate as a local network request.
    '--disable-features=LocalNetworkAccessChecks,PrivateNetworkAccessSendPreflights,PrivateNetworkAccessRespectPreflightResults',
  ],
})
const errors = []
const weirRequests = []
let eventAnswers = 0
try {
  const context = await browser.newContext({
    userAgent: 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/156.0.0.0 Safari/537.36',
    locale: 'de-DE',
    viewport: { width: 1280, height: 720 },
  })
  const page = await context.newPage()
  page.on('console', (message) => {
    if (message.type() === 'error') errors.push(`console: ${message.text()}`)
  })
  page.on('pageerror', (error) => errors.push(`page: ${error.message}`))
  page.on('requestfailed', (request) => {
    if (request.url().startsWith(weir)) errors.push(`request failed: ${request.method()} ${request.url()} ${request.failure()?.errorText}`)
  })
  page.on('response', async (response) => {
    const url = response.url()
    if (!url.startsWith(weir)) return
    const p = new URL(url).pathname
    weirRequests.push({ method: response.request().method(), path: p, status: response.status() })
    if (response.status() >= 400) errors.push(`${response.request().method()} ${p}: ${response.status()} ${await response.text().catch(() => '')}`)
    if (response.request().method() === 'POST' && isEventRequest[sdk](p) && response.status() < 300) eventAnswers += eventsIn(response.request())
  })

  await page.route(`${origin}/**`, (route) => {
    const url = new URL(route.request().url())
    if (url.pathname === '/app.js') return route.fulfill({ status: 200, contentType: 'application/javascript', body: script })
    if (url.pathname === '/pricing') return route.fulfill({ status: 200, contentType: 'text/html', body: html })
    return route.fulfill({ status: 404, body: '' })
  })
  // Anything else the SDKs try to reach (their own CDNs) is refused and reported: Weir must be enough.
  await page.route(/^https:\/\/(?!shop\.example\/)/, (route) => {
    errors.push(`outside request: ${route.request().method()} ${route.request().url()}`)
    return route.abort()
  })

  await page.goto(pageUrl, { referer: referrer })
  const wanted = 2
  const deadline = Date.now() + 30000
  while (eventAnswers < wanted && Date.now() < deadline) {
    await page.waitForEvent('response', { timeout: Math.max(1, deadline - Date.now()) }).catch(() => {})
  }
  if (eventAnswers < wanted) errors.push(`only ${eventAnswers} event(s) answered within 30 s`)
  await context.close()
} finally {
  await browser.close()
}

console.log(JSON.stringify({ weir: weirRequests, errors }))
