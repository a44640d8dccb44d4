// Sends events to a Weir server with PostHog's official Node SDK, unchanged but for its host.
// Usage: node posthog-node.mjs <host, e.g. http://127.0.0.1:8080> <project API key (the site's write key)>
// Prints one JSON line: {"errors": [...], "compression": true|false}. Uses capture, identify, alias and groupIdentify.
import { PostHog } from 'posthog-node'

const [host, apiKey] = process.argv.slice(2)
if (!host || !apiKey) {
  console.error('usage: node posthog-node.mjs <host> <apiKey>')
  process.exit(2)
}

const errors = []
const client = new PostHog(apiKey, { host, flushAt: 20, flushInterval: 100, fetchRetryCount: 2, fetchRetryDelay: 200 })
client.on('error', (err) => errors.push(String(err?.message ?? err)))

const at = (second) => new Date(Date.UTC(2026, 10, 21, 12, 0, second))
client.capture({
  distinctId: 'user-1',
  event: 'Order Completed',
  properties: { orderId: 'o-1', revenue: 9.5, currency: 'EUR', items: [{ sku: 'a' }] },
  timestamp: at(0),
  uuid: '0193a6c2-0000-7000-8000-000000000001',
})
client.capture({
  distinctId: 'user-1',
  event: '$pageview',
  properties: { $current_url: 'https://shop.example/pricing?plan=pro', $pathname: '/pricing', $referrer: 'https://search.example/', title: 'Pricing' },
  timestamp: at(1),
  uuid: '0193a6c2-0000-7000-8000-000000000002',
})
client.identify({ distinctId: 'user-1', properties: { email: 'u1@shop.example', plan: 'pro' } })
client.alias({ distinctId: 'user-1', alias: 'anon-1' })
client.groupIdentify({ groupType: 'company', groupKey: 'acme', properties: { name: 'Acme', employees: 42 }, distinctId: 'user-1' })

await client.shutdown(20000)
// The SDK gzips its batches unless told not to, or unless the runtime cannot.
console.log(JSON.stringify({ errors, compression: !client.disableCompression }))
