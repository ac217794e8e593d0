/** How numbers, money and times read on every page. */

export const count = (n: number) => n.toLocaleString('en');

export const percent = (part: number, whole: number) =>
  whole === 0 ? '–' : `${Math.round((part / whole) * 100)} %`;

/** `{ EUR: "1234.50" }` → `€1,234.50`; several currencies joined. */
export function money(byCurrency: Record<string, string>): string {
  const parts = Object.entries(byCurrency).map(([currency, amount]) => {
    try {
      return new Intl.NumberFormat('en', { style: 'currency', currency }).format(Number(amount));
    } catch {
      return `${amount} ${currency}`;
    }
  });
  return parts.length ? parts.join(' + ') : '0';
}

/** An ISO time as "4 Dec 2026, 11:39 UTC". */
export function when(iso: string | null | undefined): string {
  if (!iso) return '–';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  return (
    d.toLocaleString('en-GB', {
      day: 'numeric',
      month: 'short',
      year: 'numeric',
      hour: '2-digit',
      minute: '2-digit',
      timeZone: 'UTC',
    }) + ' UTC'
  );
}

/** `no_tracking_consent` → "No tracking consent". */
export const words = (code: string) => {
  const text = code.replaceAll('_', ' ');
  return text.charAt(0).toUpperCase() + text.slice(1);
};
