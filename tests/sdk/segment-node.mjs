// Sends events to a Weir server with Segment's official Node SDK, unchanged but for its host.
// Usage: node segment-node.mjs <host, e.g. http://127.0.0.1:8080> <writeKey> <events> [seed]
// Prints one JSON line: {"sent": [messageId, ...], "errors": [...]}. Every call type is used in turn.
import { Analytics } from '@segment/analytics-node'

const [host, writeKey, countText, seedText] = process.argv.slice(2)
if (!host || !writeKey || !countText) {
  console.error('usage: node segment-node.mjs <host> <writeKey> <events> [seed]')
  process.exit(2)
}

const count = Number(countText)
const seed = seedText ?? 'seed'
const errors = []
const analytics = new Analytics({ writeKey, host, flushAt: 100, flushInterval: 200, maxRetries: 5 })
analytics.on('error', (err) => errors.push(String(err?.message ?? err)))

const sent = []
const types = ['track', 'page', 'screen', 'identify', 'group', 'alias']
for (let i = 0; i < count; i++) {
  const messageId = `${seed}-${i}`
  const userId = `user-${i % 97}`
  const common = { messageId, userId, timestamp: new Date(Date.UTC(2026, 10, 21, 12, 0, 0) + i * 1000) }
  const type = types[i % types.length]
  switch (type) {
    case 'track':
      analytics.track({ ...common, event: 'Order Completed', properties: { orderId: `o-${i}`, revenue: i / 100, currency: 'EUR', items: [{ sku: 'a' }] } })
      break
    case 'page':
      analytics.page({ ...common, name: 'Pricing', category: 'Docs', properties: { url: `https://shop.example/pricing?utm_source=news&i=${i}`, path: '/pricing', title: 'Pricing', referrer: 'https://search.example/' } })
      break
    case 'screen':
      analytics.screen({ ...common, name: 'Home', properties: { variant: 'b' } })
      break
    case 'identify':
      analytics.identify({ ...common, traits: { email: `u${i}@shop.example`, plan: 'pro' } })
      break
    case 'group':
      analytics.group({ ...common, groupId: `g-${i % 7}`, traits: { name: 'Acme', employees: 42 } })
      break
    case 'alias':
      analytics.alias({ messageId, userId, previousId: `anon-${i}`, timestamp: common.timestamp })
      break
  }
  sent.push(messageId)
}

await analytics.closeAndFlush({ timeout: 60000 })
console.log(JSON.stringify({ sent, errors }))
