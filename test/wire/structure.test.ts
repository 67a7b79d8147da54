import fc from 'fast-check'
import protobuf from 'protobufjs'
import t from 'tap'
import { Frame } from '../../src/gen/clacks/v1/frame.js'
import { MESSAGE_FIELDS, structureProblem } from '../../src/wire/structure.js'
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

t.test('every frame our encoder writes is well-formed', async t => {
  fc.assert(fc.property(frameArb, frame => structureProblem(Frame.encode(frame).finish()) === undefined), { numRuns: 500 })
  t.pass('500 frames')
})
