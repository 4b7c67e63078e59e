/**
 * Date inputs in the console are read as Suzhou time (UTC+8, no daylight saving), whatever the
 * reviewer's computer is set to, and sent as ISO instants with the offset.
 */
export function localInputToIso(value: string): string {
  // "2020-07-04T10:00" or "2020-07-04T10:00:30"
  const withSeconds = /T\d{2}:\d{2}$/.test(value) ? `${value}:00` : value;
  return `${withSeconds}+08:00`;
}

/** An instant as a datetime-local value in Suzhou time (seconds kept when not zero). */
export function isoToLocalInput(iso: string | number | Date, seconds = false): string {
  const shifted = new Date(new Date(iso).getTime() + 8 * 3600_000).toISOString();
  return seconds ? shifted.slice(0, 19) : shifted.slice(0, 16);
}

/** A date input (YYYY-MM-DD) as the start of that Suzhou day. */
export function dayStartIso(day: string): string {
  return `${day}T00:00:00+08:00`;
}
