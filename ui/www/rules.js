// uitkijk console: the legal basis on screen (docs/PROTOCOL.md, "Legal
// rules"): each area's designations (aanwijzingsbesluiten, Gemeentewet art.
// 151c) with whether they are in force and why not, their live-watch
// windows, and the veiligheidsrisicogebieden (art. 151b), which never enable
// cameras. All text shown is Dutch.

const day = new Intl.DateTimeFormat('nl-NL', { timeZone: 'Europe/Amsterdam', dateStyle: 'medium' });

const reasons = {
  'the designation was withdrawn': 'ingetrokken',
  'the designation is not valid yet': 'nog niet geldig',
  'the designation has expired': 'verlopen',
  'the designation has no DPIA reference': 'geen DPIA-kenmerk',
  'signage is not confirmed for the designation': 'bebording niet bevestigd',
};

function el(tag, cls, text) {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  if (text !== undefined) e.textContent = text;
  return e;
}

export class Rules {
  constructor(section, request) {
    this.section = section;
    this.request = request;
  }

  async load() {
    const r = await this.request('designations.list');
    const list = this.section.querySelector('#designation-rows');
    list.replaceChildren();
    for (const d of r.designations) {
      const li = el('li', `designation ${d.active ? 'designation-active' : 'designation-inactive'}`);
      li.dataset.designation = d.designation;
      li.append(el('strong', null, `${d.area} — ${d.kind === 'event' ? 'evenement' : 'vast'}`), ' ',
        el('span', d.active ? 'badge ok' : 'badge', d.active ? 'van kracht' : (reasons[d.inactive_reason] ?? d.inactive_reason)),
        d.live_watch_now ? el('span', 'badge must', 'nu live uitkijken') : '',
        el('div', null, d.decision),
        el('div', 'muted', `${day.format(new Date(d.valid_from))} – ${day.format(new Date(d.valid_until))}`
          + (d.live_watch_text ? ` · live uitkijken: ${d.live_watch_text}` : '')
          + (d.dpia ? ` · DPIA ${d.dpia}` : '')));
      list.append(li);
    }
    if (!r.designations.length) list.append(el('li', 'muted', 'Geen aanwijzingsbesluiten.'));
    const risks = this.section.querySelector('#risk-rows');
    risks.replaceChildren();
    for (const x of r.risk_areas) {
      risks.append(el('li', 'risk-area',
        `${x.area}: ${x.decision} (${day.format(new Date(x.valid_from))} – ${day.format(new Date(x.valid_until))}; `
        + `officier van justitie: ${x.prosecutor})${x.active ? '' : ' — niet van kracht'}. Geen grond voor camera's.`));
    }
    if (!r.risk_areas.length) risks.append(el('li', 'muted', 'Geen veiligheidsrisicogebieden.'));
    this.section.hidden = false;
  }
}
