/** How a payload is shown on the dashboard: as text when it is UTF-8, else as hex. */

/** Characters of text, or bytes of hex, shown at most. */
const TEXT_CHARS = 120
const HEX_BYTES = 32

export function preview (payload: Uint8Array): string {
  const cut = payload.subarray(0, TEXT_CHARS * 4)
  let text: string
  try {
    // stream: a character split by the cut is left out rather than an error.
    text = new TextDecoder('utf-8', { fatal: true }).decode(cut, { stream: cut.length < payload.length })
  } catch {
    return hex(payload)
  }
  const chars = Array.from(text)
  const more = chars.length > TEXT_CHARS || cut.length < payload.length
  return more ? chars.slice(0, TEXT_CHARS).join('') + '…' : text
}

function hex (payload: Uint8Array): string {
  const shown = Buffer.from(payload.subarray(0, HEX_BYTES)).toString('hex')
  return `0x${shown}${payload.length > HEX_BYTES ? '…' : ''}`
}
