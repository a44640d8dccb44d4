// Page views (load, History API, optionally hash changes) and the visible time spent on each page.
import { createEvent, currentPage, on, routing, type Page } from './events'
import { enqueue, flush } from './transport'

// The last page view's page: the same path is not counted twice in a row, and engagement names its page.
let page: Page | undefined
// When the current visible stretch began; 0 while the page is hidden.
let visibleSince = 0

const visible = (): boolean => document.visibilityState == 'visible'

// Ends the current visible stretch with an engagement event {engaged_ms, path} about the page it measured.
const endEngagement = (): void => {
  if (visibleSince) {
    const at = Date.now()
    if (at > visibleSince) {
      enqueue(createEvent('track', 'engagement', { engaged_ms: at - visibleSince, path: page!.path }, page))
    }
    visibleSince = at
  }
}

const pageview = (): void => {
  const next = currentPage()
  if (page && next.path == page.path) {
    return
  }
  // Before the first page view nothing is measured yet, so this sends nothing.
  endEngagement()
  page = next
  visibleSince = visible() ? Date.now() : 0
  // The server names every page event "pageview".
  enqueue(createEvent('page', '', {}, page))
}

export const trackPages = (hash: boolean): void => {
  routing.hash = hash
  for (const method of ['pushState', 'replaceState'] as const) {
    const original = history[method]
    history[method] = function (this: History, ...args: Parameters<History['pushState']>) {
      original.apply(this, args)
      pageview()
    }
  }
  on('popstate', pageview)
  if (hash) {
    on('hashchange', pageview)
  }
  // Browsers report leaving the page (navigation, closing the tab) as becoming hidden first: no pagehide needed.
  on('visibilitychange', () => {
    if (visible()) {
      visibleSince = Date.now()
    } else {
      endEngagement()
      visibleSince = 0
      flush(true)
    }
  })
  pageview()
}
