import fc from 'fast-check'
import protobuf from 'protobufjs'
import t from 'tap'
import { Frame } from '../../src/gen/clacks/v1/frame.js'
import { MESSAGE_FIELDS, ONEOF_FIELDS, STRING_FIELDS, structureProblem } from '../../src/wire/structure.js'
import { frameArb } from '../fuzz/fixtures/arbitraries.js'
import { loadFrameType } from '../vectors/fixtures/protobufjs.js'

t.test('the table of message-holding fields is the schema\'s, read from the .proto by protobufjs', async t => {
  const frame = await loadFrameType()
  const fromSchema: Record<string, Record<number, string>> = {}
  const visit = (type: protobuf.Type): void => {
    const name = type.fullName.replace(/^\./, '')
    if (fromSchema[name] !== undefined) return
    fromSchema[name] = {}
    for (const field of type.fieldsArray) {
      field.resolve()
      if (field.resolvedType instanceof protobuf.Type) {
        fromSchema[name][field.id] = field.resolvedType.fullName.replace(/^\./, '')
        visit(field.resolvedType)
      }
    }
  }
  visit(frame)
  t.same(MESSAGE_FIELDS, fromSchema)
})

t.test('the tables of oneof and string fields are the schema\'s', async t => {
  const frame = await loadFrameType()
  const oneofs: Record<string, number[]> = {}
  const strings: Record<string, number[]> = {}
  const seen = new Set<string>()
  const visit = (type: protobuf.Type): void => {
    const name = type.fullName.replace(/^\./, '')
    if (seen.has(name)) return
    seen.add(name)
    for (const field of type.fieldsArray) {
      field.resolve()
      if (field.partOf !== null) (oneofs[name] ??= []).push(field.id)
      if (field.type === 'string') (strings[name] ??= []).push(field.id)
      if (field.resolvedType instanceof protobuf.Type) visit(field.resolvedType)
    }
  }
  visit(frame)
  const asLists = (table: Readonly<Record<string, ReadonlySet<number>>>): Record<string, number[]> =>
    Object.fromEntries(Object.entries(table).map(([name, fields]) => [name, [...fields]]))
  t.same(asLists(ONEOF_FIELDS), oneofs)
  t.same(asLists(STRING_FIELDS), strings)
})

t.test('a Frame with two kind fields, or a string that is not UTF-8, is not well-formed', async t => {
  const ack = Frame.encode({ kind: { $case: 'ack', value: { seq: 1 } } }).finish()
  const goodbye = Frame.encode({ kind: { $case: 'goodbye', value: { reason: 1, detail: 'é' } } }).finish()
  t.equal(structureProblem(ack), undefined)
  t.equal(structureProblem(goodbye), undefined, 'valid multi-byte UTF-8 is fine')
  t.match(structureProblem(Buffer.concat([ack, goodbye])), /more than one oneof field/)
  t.match(structureProblem(Buffer.concat([ack, ack])), /more than one oneof field/, 'the same kind twice too')
  const cut = Buffer.from(goodbye)
  cut[cut.length - 1] = 0xff // the second byte of 'é' -> not UTF-8
  t.match(structureProblem(cut), /not valid UTF-8/)
})

t.test('every frame our encoder writes is well-formed', async t => {
  fc.assert(fc.property(frameArb, frame => structureProblem(Frame.encode(frame).finish()) === undefined), { numRuns: 500 })
  t.pass('500 frames')
})
