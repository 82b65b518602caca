/** `timeout 2, error 1` from counts by reason (zeros left out), or `none`. */
export function letterSummary(byReason: Readonly<Record<string, number>>): string {
  const parts = Object.entries(byReason)
    .filter(([, n]) => n > 0)
    .map(([reason, n]) => `${reason} ${n}`);
  return parts.length > 0 ? parts.join(', ') : 'none';
}
