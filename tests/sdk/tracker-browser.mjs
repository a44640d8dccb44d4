// Drives Weir's browser tracker (GET /js/weir.js from a real Weir server) in headless Chromium.
// Usage: node tracker-browser.mjs <server, e.g. http://127.0.0.1:8080> <writeKey> <scenario|hash|privacy|retry>
// The pages are served by Playwright for https://shop.example; the tracker's requests go to the Weir server for real.
// Prints one JSON line with what the test needs to check the server's log: times (ms since the epoch) and counts.
import { createHash } from 'node:crypto'
import { chromium } from 'playwright-core'

const [server, writeKey, mode] = process.argv.slice(2)
if (!server || !writeKey || !['scenario', 'hash', 'privacy', 'retry'].includes(mode)) {
  console.error('usage: node tracker-browser.mjs <server> <writeKey> <scenario|hash|privacy|retry>')
  process.exit(2)
}

const origin = 'https://shop.example'
const api = `${server}/api/t`
const stub = 'window.weir = window.weir || function(){(weir.q = weir.q || []).push(arguments)}'
const Deadline = 20_000

const html = (attributes, before = '') => `<!doctype html>
<html><head><title>Shop</title>
<script>${stub}; ${before}</script>
<script defer data-site="${writeKey}" ${attributes} src="${server}/js/weir.js"></script>
</head><body>
<a id="outbound" href="https://elsewhere.example/away">elsewhere</a>
<a id="download" href="/files/report.pdf">report</a>
<form id="newsletter"><button id="subscribe" type="submit">Subscribe</button></form>
<script>
  // The page stays: the clicks and the submission are tracked, and nothing navigates away.
  for (const id of ['outbound', 'download']) document.getElementById(id).addEventListener('click', e => e.preventDefault())
  document.getElementById('newsletter').addEventListener('submit', e => e.preventDefault())
</script>
</body></html>`

// Chromium keeps public pages (as https://shop.example appears to be) from reaching loopback, where the test's server
// is. The local-network-access permission lets ordinary requests through but not those of a closing page (the
// engagement beacon), so the check is turned off: in production the site and Weir are both public.
const browser = await chromium.launch({
  executablePath: '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-features=LocalNetworkAccessChecks'],
})

/** A browser context whose pages come from html(). */
const newContext = async (body, initScript) => {
  const context = await browser.newContext()
  if (initScript) {
    await context.addInitScript(initScript)
  }
  await context.route(`${origin}/**`, (route) => route.fulfill({ contentType: 'text/html', body }))
  return context
}

/**
 * Watches the tracker's requests in a page: every event the server acknowledged with a 2xx, and a way to wait
 * (with a deadline) until a condition on them holds, checked whenever an answer arrives.
 */
const watch = (page) => {
  const delivered = []
  const waiters = []
  const check = () => {
    for (const waiter of [...waiters]) {
      if (waiter.condition(delivered)) {
        waiters.splice(waiters.indexOf(waiter), 1)
        clearTimeout(waiter.timer)
        waiter.resolve()
      }
    }
  }
  page.on('response', (response) => {
    if (response.url() === api && response.ok()) {
      delivered.push(...JSON.parse(response.request().postData()).batch)
      check()
    }
  })
  const until = (what, condition) => new Promise((resolve, reject) => {
    if (condition(delivered)) {
      return resolve()
    }
    const timer = setTimeout(() => reject(new Error(`not delivered within ${Deadline} ms: ${what}; delivered: ${JSON.stringify(delivered.map(describe))}`)), Deadline)
    waiters.push({ condition, resolve, timer })
  })
  return { delivered, until }
}

const describe = (e) => `${e.type} ${e.event || ''} ${e.context.page.path}`
const has = (type, event, path) => (events) => events.some((e) => e.type === type && (event === '' || e.event === event) && e.context.page.path === path)
const all = (...conditions) => (events) => conditions.every((c) => c(events))

/** How many tracker events the server has made durable: its own counter, from GET /metrics. */
const accepted = async () => {
  const metrics = await (await fetch(`${server}/metrics`)).text()
  return Number(/^weir_ingest_events_accepted_total\{[^}]*protocol="tracker"[^}]*\} (\d+)$/m.exec(metrics)?.[1] ?? 0)
}

/**
 * Closes a page, which hides it and so sends its engagement by sendBeacon. Playwright sees no request of a closed
 * page, so this polls the server's count of accepted events (with a deadline) before the browser may be closed.
 */
const closeAndWaitForEngagement = async (page, before) => {
  await page.close()
  const deadline = Date.now() + Deadline
  while (await accepted() < before + 1) {
    if (Date.now() > deadline) {
      throw new Error(`the engagement beacon of a closed page did not arrive within ${Deadline} ms`)
    }
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
}

const result = {}
try {
  if (mode === 'scenario') {
    const context = await newContext(html('data-track-outbound data-track-downloads data-track-forms', "weir('Early', {props: {from: 'stub'}})"))
    const page = await context.newPage()
    const { delivered, until } = watch(page)
    await page.goto(`${origin}/`)
    await until('page view of / and the queued call', all(has('page', '', '/'), has('track', 'Early', '/')))

    await page.evaluate(() => history.pushState({}, '', '/pricing'))
    await until('page view of /pricing', all(has('page', '', '/pricing'), has('track', 'engagement', '/')))
    // Neither is a new page view: the URL stays /pricing.
    await page.evaluate(() => {
      history.replaceState({ tab: 2 }, '', '/pricing')
      history.pushState({ tab: 3 }, '', '/pricing')
    })
    await page.evaluate(() => history.go(-2))
    await until('page view of / after going back', (events) => events.filter((e) => e.type === 'page' && e.context.page.path === '/').length === 2)

    await page.click('#outbound')
    await until('outbound click', has('track', 'Outbound Link: Click', '/'))
    await page.click('#download')
    await until('download', has('track', 'File Download', '/'))
    await page.click('#subscribe')
    await until('form submission', has('track', 'Form: Submission', '/'))
    await page.evaluate(() => window.weir('Signup', { props: { plan: 'pro' } }))
    await until('Signup', has('track', 'Signup', '/'))
    result.online = delivered.length

    result.offlineAt = Date.now()
    await context.setOffline(true)
    await page.waitForFunction(() => !navigator.onLine)
    await page.evaluate(() => {
      window.weir('Offline One', { props: { n: 1 } })
      history.pushState({}, '', '/offline')
      window.weir('Offline Two', { props: { n: 2 } })
    })
    // Offline One, the engagement on /, the page view of /offline and Offline Two wait in localStorage.
    await page.waitForFunction(() => JSON.parse(localStorage.getItem('weir') || '[]').length === 4, null, { timeout: Deadline })
    result.stored = await page.evaluate(() => JSON.parse(localStorage.getItem('weir')).map((e) => e.messageId))
    result.onlineAt = Date.now()
    await context.setOffline(false)
    await until('the events queued offline', (events) => result.stored.every((id) => events.some((e) => e.messageId === id)))
    result.storedAfter = await page.evaluate(() => JSON.parse(localStorage.getItem('weir') || '[]').length)
    // Without data-hash, a new hash is the same page: no page view, no engagement.
    await page.evaluate(() => { location.hash = '#reviews' })
    await page.waitForFunction(() => location.hash === '#reviews')
    result.delivered = delivered.length

    // Closing the tab hides it: the engagement on /offline leaves by sendBeacon, which the test finds in the log.
    await closeAndWaitForEngagement(page, await accepted())
    await context.close()
  } else if (mode === 'retry') {
    // Online, but the server answers 503 (as when it sheds load): the events wait in localStorage until the tracker's
    // 30-second retry, which the page's clock (Playwright's, installed before the page loads) is moved forward to.
    const context = await newContext(html('', "weir('Retry Me')"))
    await context.clock.install()
    let failing = true
    let refused = 0
    await context.route(`${api}*`, (route) => {
      if (failing) {
        refused++
        return route.fulfill({ status: 503, headers: { 'Access-Control-Allow-Origin': origin, 'Retry-After': '1' }, body: '' })
      }
      return route.fallback()
    })
    const page = await context.newPage()
    const { delivered, until } = watch(page)
    await page.goto(`${origin}/busy`)
    const deadline = Date.now() + Deadline
    while ((await page.evaluate(() => JSON.parse(localStorage.getItem('weir') || '[]').length)) < 2) {
      if (Date.now() > deadline) {
        throw new Error(`the refused events were not stored within ${Deadline} ms`)
      }
      await new Promise((resolve) => setTimeout(resolve, 20))
    }
    result.stored = await page.evaluate(() => JSON.parse(localStorage.getItem('weir')).map((e) => e.messageId))
    result.refused = refused
    result.deliveredBefore = delivered.length
    failing = false
    await page.clock.fastForward(30_000)
    await until('the stored events, retried', (events) => result.stored.every((id) => events.some((e) => e.messageId === id)))
    result.storedAfter = await page.evaluate(() => JSON.parse(localStorage.getItem('weir') || '[]').length)
    await closeAndWaitForEngagement(page, await accepted())
    await context.close()
  } else if (mode === 'hash') {
    // data-hash: every hash route is a page, and the hash is part of its path.
    const context = await newContext(html('data-hash'))
    const page = await context.newPage()
    const { until } = watch(page)
    await page.goto(`${origin}/app#/a`)
    await until('page view of /app#/a', has('page', '', '/app#/a'))
    await page.evaluate(() => { location.hash = '#/b' })
    await until('page view of /app#/b', all(has('page', '', '/app#/b'), has('track', 'engagement', '/app#/a')))
    await page.evaluate(() => history.back())
    await until('page view of /app#/a again', (events) => events.filter((e) => e.type === 'page' && e.context.page.path === '/app#/a').length === 2)
    await closeAndWaitForEngagement(page, await accepted())
    await context.close()
  } else {
    // Do Not Track and Global Privacy Control with data-respect-dnt: nothing is sent, nothing is stored.
    const dnt = "Object.defineProperty(Navigator.prototype, 'doNotTrack', { get: () => '1' })"
    const gpc = "Object.defineProperty(Navigator.prototype, 'globalPrivacyControl', { get: () => true })"
    const blocked = []
    for (const [name, init] of [['dnt', dnt], ['gpc', gpc]]) {
      const context = await newContext(html('data-respect-dnt data-track-forms', `weir('Blocked', {props: {by: '${name}'}})`), init)
      context.on('request', (request) => request.url().startsWith(api) && blocked.push(request.url()))
      const page = await context.newPage()
      await page.goto(`${origin}/${name}`)
      await page.evaluate(() => {
        window.weir('Blocked after load')
        history.pushState({}, '', location.pathname + '/next')
      })
      await page.click('#subscribe')
      result[name] = await page.evaluate(() => ({ stored: localStorage.length, noop: typeof window.weir === 'function' && !window.weir.q }))
      await page.close()
      await context.close()
    }

    // The positive control: Do Not Track without data-respect-dnt, and an explicit data-api. These must arrive.
    // It also loads the script with Subresource Integrity, the hash computed here from the bytes the server sends.
    const script = Buffer.from(await (await fetch(`${server}/js/weir.js`)).arrayBuffer())
    const integrity = 'sha384-' + createHash('sha384').update(script).digest('base64')
    const context = await newContext(html(`data-api="${server}" integrity="${integrity}" crossorigin="anonymous"`, "weir('Control')"), dnt)
    const page = await context.newPage()
    const { until } = watch(page)
    await page.goto(`${origin}/control`)
    await until('the control page view and event', all(has('page', '', '/control'), has('track', 'Control', '/control')))
    await closeAndWaitForEngagement(page, await accepted())
    result.blockedRequests = blocked.length
    await context.close()
  }
} finally {
  await browser.close()
}
console.log(JSON.stringify(result))
