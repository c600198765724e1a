// uitkijk console: the operator's incident form (docs/PROTOCOL.md,
// "incident.create", "incident.options").
//
// An entry starts when the operator presses "n" (outside a text field), clicks
// "Nieuw incident" or moves into the form. At that moment the wall-clock time
// of the frame on screen in every live tile is noted (LiveGrid.frameTimes):
// the incident's `position` is that time for the chosen camera, or the start
// time itself when the camera is not shown live. Keyboard: Alt+1..9 (or 1..9
// on the quick-category bar) picks a quick category, Ctrl+Enter logs the
// incident, Escape cancels; Tab walks the fields. The reply (only once the
// incident is durable) shows its number. All text shown is Dutch.
import { el, severityText, time } from './fmt.js';
import { formatFrameTime } from './live.js';
import { playbackHash } from './feed.js';

const QUICK = 9;

/** Is @t a field that takes typed text (where "n" and digits are text)? */
export function isTyping(t) {
  if (!t || !(t instanceof Element)) return false;
  if (t.isContentEditable) return true;
  if (t.tagName === 'TEXTAREA' || t.tagName === 'SELECT') return true;
  if (t.tagName !== 'INPUT') return false;
  return !['button', 'submit', 'checkbox', 'radio', 'reset', 'range', 'color', 'file'].includes(t.type);
}

let uid = 0;

export class IncidentForm {
  /**
   * @param root the (empty) element the form is built in
   * @param ctx {request, cameras() -> [{camera, name}], cameraName(id), current() -> camera or null,
   *             frameTimes() -> Map camera -> ms, onCreated(incident)}
   */
  constructor(root, ctx) {
    this.root = root;
    this.ctx = ctx;
    this.options = null;
    this.started = null; // {at: ms, frames: Map}
    this.busy = false;
    const id = `inc${++uid}`;
    root.classList.add('incident-panel');
    const head = el('div', 'incident-head');
    head.append(el('h2', null, 'Incident vastleggen'));
    head.firstChild.id = `${id}-title`;
    root.setAttribute('aria-labelledby', `${id}-title`);
    this.newButton = el('button', 'primary incident-new', 'Nieuw (n)');
    this.newButton.setAttribute('aria-keyshortcuts', 'N');
    this.newButton.type = 'button';
    this.newButton.addEventListener('click', () => this.start());
    head.append(this.newButton);
    this.form = el('form', 'incident-form');
    this.form.noValidate = true;
    this.form.setAttribute('aria-keyshortcuts', 'Control+Enter Escape Alt+1 Alt+2 Alt+3 Alt+4 Alt+5 Alt+6 Alt+7 Alt+8 Alt+9');

    const camLabel = el('label', null, 'Camera');
    this.camera = el('select');
    this.camera.name = 'camera';
    camLabel.append(this.camera);
    this.positionEl = el('p', 'incident-position muted', 'Moment: —');
    this.positionEl.setAttribute('aria-live', 'polite');

    this.quick = el('div', 'quick-categories');
    this.quick.setAttribute('role', 'group');
    this.quick.setAttribute('aria-label', 'Snelle categorieën (Alt+1 tot Alt+9)');
    const catLabel = el('label', null, 'Categorie');
    this.category = el('select');
    this.category.name = 'category';
    this.category.required = true;
    catLabel.append(this.category);

    const sevLabel = el('label', null, 'Ernst');
    this.severity = el('select');
    this.severity.name = 'severity';
    for (const s of ['low', 'medium', 'high']) this.severity.append(new Option(severityText[s], s));
    this.severity.value = 'medium';
    sevLabel.append(this.severity);

    const descLabel = el('label', null, 'Omschrijving');
    this.description = el('textarea');
    this.description.name = 'description';
    this.description.rows = 4;
    this.description.maxLength = 4000;
    this.description.required = true;
    this.description.placeholder = 'Wat ziet u? Wie, waar, wat gebeurt er?';
    descLabel.append(this.description);

    this.actions = el('fieldset', 'incident-actions');
    this.actions.append(el('legend', null, 'Acties'));
    this.extra = el('fieldset', 'incident-extra');
    this.extra.append(el('legend', null, "Ook betrokken camera's"));

    this.error = el('p', 'error');
    this.error.setAttribute('role', 'alert');
    const buttons = el('div', 'toolbar');
    this.submitButton = el('button', 'primary', 'Vastleggen (Ctrl+Enter)');
    this.submitButton.type = 'submit';
    const cancel = el('button', null, 'Annuleren (Esc)');
    cancel.type = 'button';
    cancel.addEventListener('click', () => this.cancel());
    buttons.append(this.submitButton, cancel);

    const sevRow = el('div', 'incident-row');
    sevRow.append(catLabel, sevLabel);
    this.form.append(camLabel, this.positionEl, this.quick, sevRow, descLabel, this.actions, this.extra, this.error, buttons);
    this.result = el('p', 'incident-result');
    this.result.setAttribute('role', 'status');
    root.append(head, this.form, this.result);

    this.form.addEventListener('submit', (e) => { e.preventDefault(); this.submit(); });
    this.form.addEventListener('focusin', () => { if (!this.started) this.start(undefined, false); });
    this.form.addEventListener('keydown', (e) => this.onFormKey(e));
    this.camera.addEventListener('change', () => { this.fillExtra(); this.showPosition(); });
    this.quick.addEventListener('click', (e) => {
      const b = e.target.closest('button[data-category]');
      if (b) this.pickCategory(b.dataset.category);
    });
    this.category.addEventListener('change', () => this.markQuick());
    this.setIdle();
  }

  /** Loads the lists (incident.options) and the cameras. */
  async load() {
    if (!this.options) {
      this.options = await this.ctx.request('incident.options');
      this.category.replaceChildren(new Option('— kies —', ''));
      for (const c of this.options.categories) this.category.append(new Option(c, c));
      this.quick.replaceChildren();
      this.options.categories.slice(0, QUICK).forEach((c, i) => {
        const b = el('button', 'quick', null);
        b.type = 'button';
        b.dataset.category = c;
        b.setAttribute('aria-keyshortcuts', `Alt+${i + 1}`);
        b.append(el('kbd', null, String(i + 1)), ` ${c}`);
        this.quick.append(b);
      });
      this.actions.replaceChildren(el('legend', null, 'Acties'));
      for (const a of this.options.actions) {
        const l = el('label', 'check');
        const cb = el('input');
        cb.type = 'checkbox';
        cb.name = 'action';
        cb.value = a;
        l.append(cb, ` ${a}`);
        this.actions.append(l);
      }
    }
    this.fillCameras();
  }

  fillCameras() {
    const keep = this.camera.value;
    const cams = this.ctx.cameras();
    const key = cams.map((c) => c.camera).join(',');
    if (key === this.camKey) return;
    this.camKey = key;
    this.camera.replaceChildren(...cams.map((c) => new Option(c.name, c.camera)));
    if (keep && cams.some((c) => c.camera === keep)) this.camera.value = keep;
    this.fillExtra();
  }

  fillExtra() {
    const checked = new Set([...this.extra.querySelectorAll('input:checked')].map((i) => i.value));
    this.extra.replaceChildren(el('legend', null, "Ook betrokken camera's"));
    for (const c of this.ctx.cameras()) {
      if (c.camera === this.camera.value) continue;
      const l = el('label', 'check');
      const cb = el('input');
      cb.type = 'checkbox';
      cb.name = 'cameras';
      cb.value = c.camera;
      cb.checked = checked.has(c.camera);
      l.append(cb, ` ${c.name}`);
      this.extra.append(l);
    }
  }

  setIdle() {
    this.started = null;
    this.root.dataset.state = 'idle';
    this.positionEl.textContent = 'Moment: — (begint bij n of bij het eerste veld)';
  }

  /** Begins an entry: notes the frame on screen of every live tile. */
  start(camera = undefined, focus = true) {
    this.fillCameras();
    const cam = camera === undefined ? this.ctx.current() : camera;
    if (cam && [...this.camera.options].some((o) => o.value === cam)) this.camera.value = cam;
    this.fillExtra();
    this.started = { at: Date.now(), frames: this.ctx.frameTimes() };
    this.root.dataset.state = 'editing';
    this.error.textContent = '';
    this.showPosition();
    if (focus) this.description.focus();
  }

  /** The position for the chosen camera: {ms, live}. */
  position() {
    if (!this.started) return { ms: Date.now(), live: false };
    const f = this.started.frames.get(this.camera.value);
    // Whole milliseconds, rounded up: the instant must not fall before the
    // frame's own (fractional) wall time, or it would resolve to the frame before.
    return f != null ? { ms: Math.ceil(f), live: true } : { ms: this.started.at, live: false };
  }

  showPosition() {
    if (!this.started) return;
    const p = this.position();
    this.positionEl.textContent = p.live
      ? `Moment: ${formatFrameTime(p.ms)} (beeld op het scherm van ${this.ctx.cameraName(this.camera.value)})`
      : `Moment: ${time(p.ms)} (nu; camera niet live in beeld)`;
    this.root.dataset.position = new Date(p.ms).toISOString();
  }

  pickCategory(c) {
    if (!this.started) this.start(undefined, false);
    this.category.value = c;
    this.markQuick();
  }

  markQuick() {
    for (const b of this.quick.querySelectorAll('button')) {
      b.setAttribute('aria-pressed', String(b.dataset.category === this.category.value));
    }
  }

  /** Keys anywhere on the live page (app.js): "n" and Alt+digit. True when handled. */
  onKey(e) {
    if (e.defaultPrevented || e.ctrlKey || e.metaKey) return false;
    const digit = /^Digit([1-9])$/.exec(e.code);
    if (e.altKey && digit) {
      const c = this.options?.categories[Number(digit[1]) - 1];
      if (!c) return false;
      e.preventDefault();
      this.pickCategory(c);
      if (!this.form.contains(document.activeElement)) this.description.focus();
      return true;
    }
    if (!e.altKey && !e.shiftKey && (e.key === 'n' || e.key === 'N') && !isTyping(e.target)) {
      e.preventDefault();
      this.start();
      return true;
    }
    return false;
  }

  onFormKey(e) {
    if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) {
      e.preventDefault();
      this.submit();
    } else if (e.key === 'Escape') {
      e.preventDefault();
      this.cancel();
    } else if (!e.altKey && !e.ctrlKey && /^[1-9]$/.test(e.key) && e.target.closest('.quick-categories')) {
      const c = this.options?.categories[Number(e.key) - 1];
      if (c) { e.preventDefault(); this.pickCategory(c); }
    }
  }

  cancel() {
    this.form.reset();
    this.severity.value = 'medium';
    this.markQuick();
    this.error.textContent = '';
    this.setIdle();
    if (this.root.contains(document.activeElement)) this.newButton.focus();
  }

  async submit() {
    if (this.busy) return;
    if (!this.started) this.start(undefined, false);
    const description = this.description.value.trim();
    const fail = (text, field) => { this.error.textContent = text; field?.focus(); };
    if (!this.camera.value) return fail('Kies een camera.', this.camera);
    if (!this.category.value) return fail('Kies een categorie (Alt+1 tot Alt+9, of de keuzelijst).', this.category);
    if (!description) return fail('Vul een omschrijving in.', this.description);
    const p = this.position();
    const fields = {
      camera: this.camera.value,
      cameras: [...this.extra.querySelectorAll('input:checked')].map((i) => i.value),
      position: new Date(p.ms).toISOString(),
      source: 'live',
      category: this.category.value,
      severity: this.severity.value,
      description,
      actions: [...this.actions.querySelectorAll('input:checked')].map((i) => i.value),
    };
    this.busy = true;
    this.submitButton.disabled = true;
    this.error.textContent = '';
    this.result.textContent = 'Vastleggen…';
    try {
      const r = await this.ctx.request('incident.create', fields);
      const inc = r.incident;
      const link = el('a', null, 'terugkijken');
      link.href = playbackHash(inc);
      this.result.replaceChildren(`Incident ${inc.incident} vastgelegd (${inc.category}, ${this.ctx.cameraName(inc.camera)}, ${time(inc.position)}). `, link);
      this.result.dataset.incident = String(inc.incident);
      const keepCamera = this.camera.value;
      this.form.reset();
      this.camera.value = keepCamera;
      this.severity.value = 'medium';
      this.markQuick();
      this.setIdle();
      this.ctx.onCreated?.(inc);
      if (this.root.contains(document.activeElement)) this.newButton.focus();
    } catch (x) {
      this.result.textContent = '';
      this.error.textContent = `Niet vastgelegd: ${x.message ?? x.code ?? x}`;
    } finally {
      this.busy = false;
      this.submitButton.disabled = false;
    }
  }
}
