/** A timer reading: `mm:ss`, or `h:mm:ss` from an hour on. Negative values read as 0. */
export function formatClock(totalSeconds: number): string {
  const s = Math.max(0, Math.floor(totalSeconds));
  const hours = Math.floor(s / 3600);
  const minutes = Math.floor((s % 3600) / 60);
  const seconds = s % 60;
  const mmss = `${String(minutes).padStart(2, '0')}:${String(seconds).padStart(2, '0')}`;
  return hours > 0 ? `${hours}:${mmss}` : mmss;
}

/** A duration in words for lists: `42 s`, `12 min 5 s`, `25 min`, `1 h 5 min`. */
export function formatDuration(totalSeconds: number): string {
  const s = Math.max(0, Math.floor(totalSeconds));
  if (s < 60) return `${s} s`;
  const hours = Math.floor(s / 3600);
  const minutes = Math.floor((s % 3600) / 60);
  if (hours > 0) return minutes > 0 ? `${hours} h ${minutes} min` : `${hours} h`;
  const seconds = s % 60;
  return seconds > 0 ? `${minutes} min ${seconds} s` : `${minutes} min`;
}

const whenFormat = new Intl.DateTimeFormat(undefined, {
  weekday: 'short',
  day: 'numeric',
  month: 'short',
  hour: '2-digit',
  minute: '2-digit',
});

/** When a session started, for lists: `Mon 23 Nov, 14:05` in the reader's locale. */
export function formatWhen(iso: string): string {
  return whenFormat.format(new Date(iso));
}
