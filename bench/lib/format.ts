/** Number formatting for the summary table and progress lines. */

export function median (values: readonly number[]): number {
  if (values.length === 0) return NaN
  const sorted = [...values].sort((a, b) => a - b)
  const mid = sorted.length >> 1
  return sorted.length % 2 === 1 ? sorted[mid] as number : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2
}

/** 1234567 → "1,234,567"; null → "–". */
export function int (value: number | null | undefined): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return '–'
  return Math.round(value).toLocaleString('en-US')
}

/** Up to 3 significant digits, thousands separated. */
export function num (value: number | null | undefined): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return '–'
  if (Math.abs(value) >= 100) return int(value)
  return value.toLocaleString('en-US', { maximumSignificantDigits: 3 })
}

/** A ratio as "0.42×". */
export function ratio (value: number | null | undefined): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return '–'
  return `${value >= 10 ? value.toFixed(0) : value >= 1 ? value.toFixed(1) : value.toFixed(2)}×`
}

/** Microseconds, as µs below 10 ms, else ms. */
export function us (value: number | null | undefined): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return '–'
  if (value < 10_000) return `${int(value)} µs`
  return `${num(value / 1000)} ms`
}

/** 64 → "64 B", 1024 → "1 KiB". */
export function size (bytes: number): string {
  if (bytes >= 1024 * 1024 && bytes % (1024 * 1024) === 0) return `${bytes / 1024 / 1024} MiB`
  if (bytes >= 1024 && bytes % 1024 === 0) return `${bytes / 1024} KiB`
  return `${bytes} B`
}

export function mb (bytes: number): string {
  return `${num(bytes / 1e6)} MB`
}
