// "A man's not dead while his name is still spoken." Names sent up the
// Clacks with the code GNU are passed on forever and never delivered: here
// every tower keeps them moving (the network keeps every message anyway)
// and notes each name the first time it passes.

const CODE = 'GNU '

/** Sends a name into the overhead from `tower`. */
export function remember (tower, name) {
  return tower.enqueue(CODE + name)
}

/** Calls `heard(name)` once per name this tower sees, sent here or passing through; returns the names heard. */
export function listen (tower, heard) {
  const names = new Set()
  tower.on('queued', message => {
    const text = Buffer.from(message.payload).toString('utf8')
    if (!text.startsWith(CODE)) return
    const name = text.slice(CODE.length)
    if (names.has(name)) return
    names.add(name)
    heard(name)
  })
  return names
}
