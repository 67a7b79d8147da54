import { readdir, readFile } from 'node:fs/promises'
import { join } from 'node:path'
import t, { type Test } from 'tap'
import { DEFAULT_MAX_FRAME_BYTES, encodeFrame, FrameDecoder } from '../../src/wire/index.js'
import { VECTOR_CASES, VECTORS_DIR, vectorJson } from './fixtures/cases.js'
import { describeFrame, frameFromDescription, type FrameDescription } from './fixtures/description.js'
import { decodeWithProtobufjs, encodeWithProtobufjs, loadFrameType } from './fixtures/protobufjs.js'

interface Vector { name: string, bin: Buffer, jsonText: string, description: FrameDescription }

async function loadVectors (): Promise<Vector[]> {
  const names = (await readdir(VECTORS_DIR)).filter(file => file.endsWith('.json')).map(file => file.slice(0, -'.json'.length))
  return await Promise.all(names.sort().map(async name => {
    const jsonText = await readFile(join(VECTORS_DIR, `${name}.json`), 'utf8')
    const bin = await readFile(join(VECTORS_DIR, `${name}.bin`))
    return { name, bin, jsonText, description: JSON.parse(jsonText) as FrameDescription }
  }))
}

/** Byte equality without printing a megabyte of diff when it fails. */
function sameBytes (t: Test, actual: Uint8Array, expected: Uint8Array, message: string): void {
  const a = Buffer.from(actual)
  if (a.equals(expected)) return void t.pass(message)
  const at = a.findIndex((byte, i) => byte !== expected[i])
  t.fail(message, { lengths: [a.length, expected.length], firstDifferenceAt: at })
}

const vectors = await loadVectors()
const frameType = await loadFrameType()

t.test('the committed vectors are exactly what generate.ts writes', async t => {
  t.same(vectors.map(v => v.name), VECTOR_CASES.map(c => c.name).sort(), 'one .json per case, no strays')
  for (const { name, bin, jsonText } of vectors) {
    const found = VECTOR_CASES.find(c => c.name === name)
    if (found === undefined) continue
    t.equal(jsonText, vectorJson(name), `${name}.json is fresh`)
    sameBytes(t, encodeFrame(found.frame), bin, `${name}.bin is fresh`)
  }
})

t.test('every frame kind has a vector', async t => {
  const kinds = new Set(vectors.map(v => v.description.kind))
  for (const kind of ['hello', 'welcome', 'message', 'ack', 'refusal', 'announce', 'goodbye']) t.ok(kinds.has(kind as never), kind)
})

for (const { name, bin, description } of vectors) {
  t.test(name, async t => {
    t.test('encodeFrame of the description gives the .bin bytes', async t => {
      sameBytes(t, encodeFrame(frameFromDescription(description)), bin, 'same bytes')
    })

    t.test('FrameDecoder reads the .bin as the described frame', async t => {
      const decoder = new FrameDecoder()
      decoder.push(bin)
      const frame = decoder.read()
      t.ok(frame)
      if (frame !== undefined) t.same(describeFrame(frame, description.comment), description)
      t.equal(decoder.read(), undefined, 'one frame, nothing after it')
      t.equal(decoder.bufferedBytes, 0)
    })

    t.test('protobufjs, from the .proto files, decodes the .bin to the same values', async t => {
      t.same(decodeWithProtobufjs(frameType, bin), { kind: description.kind, fields: description.fields })
    })

    t.test('protobufjs encodes the description to the same bytes', async t => {
      sameBytes(t, encodeWithProtobufjs(frameType, description), bin, 'same bytes')
    })
  })
}

t.test('the largest Message fits the default frame limit', async t => {
  const largest = vectors.find(v => v.name === 'message-max-payload')
  t.ok(largest)
  if (largest === undefined) return
  const decoder = new FrameDecoder()
  decoder.push(largest.bin)
  const bodyLength = largest.bin.length - 3 // a 1 MiB body takes a three-byte prefix
  t.ok(bodyLength <= DEFAULT_MAX_FRAME_BYTES, `${bodyLength} <= ${DEFAULT_MAX_FRAME_BYTES}`)
  t.ok(decoder.read(), 'a default decoder reads it')
})
