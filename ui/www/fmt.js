// uitkijk console: shared formatting and DOM helpers. Times are shown in
// Europe/Amsterdam, 24-hour, Dutch; the protocol speaks RFC 3339 (UTC).

export const TZ = 'Europe/Amsterdam';

const dateTimeFmt = new Intl.DateTimeFormat('nl-NL', {
  timeZone: TZ, year: 'numeric', month: '2-digit', day: '2-digit',
  hour: '2-digit', minute: '2-digit', second: '2-digit', hourCycle: 'h23',
});
const dateFmt = new Intl.DateTimeFormat('nl-NL', { timeZone: TZ, dateStyle: 'medium' });
const timeFmt = new Intl.DateTimeFormat('nl-NL', {
  timeZone: TZ, hour: '2-digit', minute: '2-digit', second: '2-digit', hourCycle: 'h23',
});
const partsFmt = new Intl.DateTimeFormat('en-GB', {
  timeZone: TZ, year: 'numeric', month: '2-digit', day: '2-digit',
  hour: '2-digit', minute: '2-digit', second: '2-digit', hourCycle: 'h23',
});

const toDate = (t) => (t instanceof Date ? t : new Date(t));

/** "28-11-2026 21:04:05" (Europe/Amsterdam); '—' for null. */
export function dateTime(t) {
  return t == null ? '—' : dateTimeFmt.format(toDate(t)).replace(',', '');
}

/** "28 nov 2026". */
export function date(t) {
  return t == null ? '—' : dateFmt.format(toDate(t));
}

/** "21:04:05". */
export function time(t) {
  return t == null ? '—' : timeFmt.format(toDate(t));
}

/** Wall-clock fields of @t in Europe/Amsterdam. */
function amsterdamParts(t) {
  const p = {};
  for (const { type, value } of partsFmt.formatToParts(toDate(t))) p[type] = value;
  return p;
}

/** The value for an <input type="datetime-local" step="1"> showing @t in
 * Europe/Amsterdam: "2026-11-28T21:04:05". */
export function toLocalInput(t) {
  const p = amsterdamParts(t);
  return `${p.year}-${p.month}-${p.day}T${p.hour}:${p.minute}:${p.second}`;
}

/** Milliseconds since the epoch of a datetime-local value read as
 * Europe/Amsterdam time (the input carries no zone). NaN if invalid. */
export function fromLocalInput(value) {
  const m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2}))?/.exec(value ?? '');
  if (!m) return NaN;
  const asUtc = Date.UTC(+m[1], +m[2] - 1, +m[3], +m[4], +m[5], +(m[6] ?? 0));
  // The zone's offset at that instant, found in two steps (DST edges).
  let t = asUtc;
  for (let i = 0; i < 2; i++) {
    const p = amsterdamParts(t);
    const shown = Date.UTC(+p.year, +p.month - 1, +p.day, +p.hour, +p.minute, +p.second);
    t = asUtc - (shown - t);
  }
  return t;
}

/** RFC 3339 (UTC) for the protocol. */
export function iso(t) {
  return toDate(t).toISOString();
}

/** document.createElement with a class and text. */
export function el(tag, cls, text) {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  if (text !== undefined && text !== null) e.textContent = String(text);
  return e;
}

/** Dutch names of the protocol's codes. */
export const roleText = {
  operator: 'Cameraoperator', supervisor: 'Coördinator', police: 'Politie',
  handhaving: 'Handhaving', privacy: 'Privacyfunctionaris', admin: 'Beheerder',
};
export const statusText = { open: 'open', handed_to_police: 'overgedragen aan politie', closed: 'gesloten' };
export const severityText = { low: 'laag', medium: 'middel', high: 'hoog' };

/** Adds <link rel="stylesheet" href=@href> once (a page's own styles). */
export function loadCss(href) {
  if (document.querySelector(`link[data-page-css="${href}"]`)) return;
  const link = document.createElement('link');
  link.rel = 'stylesheet';
  link.href = href;
  link.dataset.pageCss = href;
  document.head.append(link);
}
