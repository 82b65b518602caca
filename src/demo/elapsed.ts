/** `  4.02 s`: ms since the demo started, as the demo prints them. */
export function elapsed(ms: number): string {
  return `${(ms / 1000).toFixed(2).padStart(6)} s`;
}
