// Delivery: small batches by fetch (keepalive) so the status is known; sendBeacon only when the page is hidden or
// left; whatever could not be delivered waits in localStorage with its original timestamp and is retried.
import { now, type WeirEvent } from './events'

const StorageKey = 'weir'

let endpoint = ''
let writeKey = ''
let pending: WeirEvent[] = []

export const configure = (api: string, key: string): void => {
  endpoint = api
  writeKey = key
}

const body = (events: WeirEvent[]): string =>
  JSON.stringify({ writeKey, sentAt: now(), batch: events })

const stored = (): WeirEvent[] => {
  try {
    return JSON.parse(localStorage.getItem(StorageKey)!) || []
  } catch {
    return []
  }
}

const store = (events: WeirEvent[]): void => {
  try {
    localStorage.setItem(StorageKey, JSON.stringify(events))
  } catch {
    // Storage is disabled (private modes, sandboxed frames): the events are lost, as without a queue.
  }
}

// At most 500 events wait: the newest are kept.
const keep = (events: WeirEvent[]): void => store(stored().concat(events).slice(-500))

const send = (events: WeirEvent[], beacon?: boolean): void => {
  if (!navigator.onLine) {
    return keep(events)
  }
  const text = body(events)
  if (beacon) {
    // A string goes as text/plain. true only means the browser queued it; there is no later chance to learn more.
    if (!navigator.sendBeacon(endpoint, text)) {
      keep(events)
    }
    return
  }
  // text/plain is a CORS-safelisted type: no preflight. Other 4xx answers are final: resending would not help.
  // A keepalive fetch may carry at most 64 KiB in flight; larger bodies (retries) go without keepalive.
  fetch(endpoint, { method: 'POST', body: text, keepalive: text.length < 6e4 }).then(
    (response) => {
      const status = response.status
      if (status > 499 || status == 408 || status == 429) {
        keep(events)
      }
    },
    () => keep(events),
  )
}

/** Sends what is pending now; with beacon when the page may be going away. */
export const flush = (beacon?: boolean): void => {
  const events = pending
  pending = []
  if (events.length) {
    send(events, beacon)
  }
}

/** Queues an event; events of the same moment (a route change's engagement and page view) share a request. */
export const enqueue = (event: WeirEvent): void => {
  // A timer left over from before an earlier flush only sends these a little sooner.
  if (pending.push(event) == 1) {
    setTimeout(flush, 50)
  }
}

/** Sends the stored events again, with a new sentAt each; the server dedups by messageId if a retry overlaps. */
export const retry = (): void => {
  const events = stored()
  if (events.length) {
    store([])
    // 50 events a request: well under the server's 500 KB batch limit.
    while (events.length) {
      send(events.splice(0, 50))
    }
  }
}
