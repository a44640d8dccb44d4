// weir.js: Weir's browser tracker. Install and behaviour: docs/tracker.md.
import { createEvent, on, type Properties } from './events'
import { trackInteractions } from './autocapture'
import { trackPages } from './pageviews'
import { configure, enqueue, retry } from './transport'

type Weir = ((name: string, options?: { props?: Properties }) => void) & { q?: IArguments[] }

declare global {
  interface Window {
    weir?: Weir
  }
  interface Navigator {
    globalPrivacyControl?: boolean
  }
}

const start = (): void => {
  // The attributes are read from the tag that loads this script (a module or a bundler would have none).
  const script = document.currentScript as HTMLScriptElement | null
  const writeKey = script && script.getAttribute('data-site')
  if (!writeKey) {
    return
  }
  const attribute = (name: string): string | null => script!.getAttribute('data-' + name)
  const option = (name: string): boolean => attribute(name) != null
  const queued = (window.weir && window.weir.q) || []
  if (option('respect-dnt') && (navigator.doNotTrack == '1' || navigator.globalPrivacyControl)) {
    // Nothing is sent or stored; calls made before or after are accepted and dropped.
    window.weir = () => {}
    return
  }

  configure((attribute('api') || new URL(script!.src).origin) + '/api/t', writeKey)
  const track = (name: string, properties: Properties): void => enqueue(createEvent('track', name, properties))
  const weir: Weir = (name, options) => track(name, (options && options.props) || {})
  window.weir = weir

  trackPages(option('hash'))
  trackInteractions(option, attribute, track)
  for (const args of queued) {
    weir(args[0], args[1])
  }
  retry()
  on('online', retry)
  setInterval(retry, 30000)
}

start()
