// The events weir.js sends: Segment batch items, as Weir's Segment parser reads them (docs/ingest.md).

declare const WEIR_VERSION: string

export type Properties = Record<string, unknown>

/** What context.page says. The server takes the query from url; path is the route (with data-hash, with the hash). */
export interface Page {
  url: string
  path: string
  title: string
  referrer: string
}

/** window.addEventListener, under a name the minifier can shorten. */
export const on: typeof addEventListener = addEventListener

export interface WeirEvent {
  type: 'page' | 'track'
  event?: string
  messageId: string
  /** When the event happened; kept when the event waits offline, so the server's time rule restores it. */
  timestamp: string
  properties: Properties
  context: {
    library: { name: string, version: string }
    page: Page
    screen: { width: number, height: number }
    locale: string
  }
}

/** With data-hash, the hash is part of the path: hash-routed apps' routes are pages. */
export const routing = { hash: false }

export const currentPage = (): Page => ({
  url: location.href,
  path: location.pathname + (routing.hash ? location.hash : ''),
  title: document.title,
  referrer: document.referrer,
})

// 128 random bits: messageIds make retries idempotent. (crypto.randomUUID exists only on https pages.)
const messageId = (): string => crypto.getRandomValues(new Uint32Array(4)).join('-')

export const now = (): string => new Date().toISOString()

export const createEvent = (type: WeirEvent['type'], event: string | undefined, properties: Properties, page = currentPage()): WeirEvent => ({
  type,
  event,
  messageId: messageId(),
  timestamp: now(),
  properties,
  context: {
    library: { name: 'weir.js', version: WEIR_VERSION },
    page,
    screen: { width: screen.width, height: screen.height },
    locale: navigator.language,
  },
})
