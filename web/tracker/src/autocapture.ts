// Opt-in events from the page itself: outbound link clicks, file downloads and form submissions.
import { on, type Properties } from './events'

const DefaultDownloads = 'pdf,zip,gz,7z,csv,xlsx,docx,pptx,dmg,exe,msi,mp3,mp4'

/** option(name) is true when the script tag has data-name; attribute(name) reads data-name. */
export const trackInteractions = (
  option: (name: string) => boolean,
  attribute: (name: string) => string | null,
  track: (name: string, properties: Properties) => void,
): void => {
  const outbound = option('track-outbound')
  const downloads = option('track-downloads')
  const download = new RegExp('\\.(' + (attribute('download-extensions') || DefaultDownloads).replace(/,/g, '|') + ')$', 'i')
  const onClick = (event: MouseEvent): void => {
    // Primary and middle clicks open links; a right click only opens a menu.
    const link = event.button < 2 && (event.target as Element).closest('a')
    if (!link || !/^http/.test(link.protocol)) {
      return
    }
    const url = link.href
    if (downloads && download.test(link.pathname)) {
      track('File Download', { url })
    } else if (outbound && link.host != location.host) {
      track('Outbound Link: Click', { url })
    }
  }
  if (outbound || downloads) {
    // Capture phase: a page's own handler that stops propagation cannot hide the click.
    on('click', onClick, true)
    on('auxclick', onClick, true)
  }
  if (option('track-forms')) {
    on('submit', (event) => {
      const form = event.target as HTMLFormElement
      // Attributes, not form.id: a field named "id" would shadow the property.
      track('Form: Submission', { form: form.getAttribute('id') || form.getAttribute('name'), path: location.pathname })
    }, true)
  }
}
