/** The part of gifenc (no types of its own) that heatmap.ts uses. */
declare module 'gifenc' {
  export interface FrameOptions {
    palette?: number[][]
    /** ms this frame shows. */
    delay?: number
    /** 0: loop forever (on the first frame). */
    repeat?: number
  }
  export interface Encoder {
    writeFrame (index: Uint8Array, width: number, height: number, options?: FrameOptions): void
    finish (): void
    bytes (): Uint8Array
  }
  /** A CommonJS module: Node's ESM loader gives only its default export. */
  const gifenc: { GIFEncoder: () => Encoder }
  export default gifenc
}
