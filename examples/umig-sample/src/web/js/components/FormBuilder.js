/**
 * FormBuilder — builds entity edit forms from field specs, with labels, hints and native validation attributes.
 *
 * The field list is data so each entity manager declares its form in a few lines, and the same spec drives both
 * the HTML attributes (required, maxlength, pattern) and the JavaScript validation in Validation.js.
 */

import { validate } from '../utils/Validation.js';

let formCounter = 0;

/** Converts form strings back to typed values according to the field specs. */
export function coerceValues(fields, raw) {
  const out = {};
  for (const field of fields) {
    if (field.type === 'static') continue;
    const value = raw[field.name];
    if (field.type === 'checkbox') out[field.name] = value === 'on' || value === true || value === 'true';
    else if (field.type === 'number') out[field.name] = value === '' || value === undefined ? null : Number(value);
    else if (field.type === 'select' && field.numeric) out[field.name] = value === '' || value === undefined ? null : Number(value);
    else out[field.name] = value === undefined ? null : String(value).trim();
  }
  return out;
}

export class FormBuilder {
  /**
   * @param {Array<object>} fields [{ name, label, type, required, maxLength, pattern, options, hint, value, disabled }]
   * @param {object} [schema] Validation.js schema for cross-field rules
   */
  constructor(fields, { schema = null, values = {} } = {}) {
    this.fields = fields;
    this.schema = schema;
    this.values = values;
    this.formId = `umig-form-${++formCounter}`;
  }

  build() {
    const form = document.createElement('form');
    form.id = this.formId;
    form.className = 'umig-form';
    form.noValidate = false;
    for (const field of this.fields) form.append(this.#buildField(field));
    return form;
  }

  /** Typed values + validation result for a FormData-derived object. */
  read(raw) {
    const values = coerceValues(this.fields, raw);
    const result = this.schema ? validate(this.schema, values) : { valid: true, errors: {} };
    return { values, ...result };
  }

  #buildField(field) {
    const id = `${this.formId}-${field.name}`;
    const wrapper = document.createElement('div');
    wrapper.className = `umig-field umig-field--${field.type ?? 'text'}`;
    const value = this.values[field.name] ?? field.value ?? '';

    if (field.type === 'static') {
      const dt = document.createElement('span');
      dt.className = 'umig-field__label';
      dt.textContent = field.label;
      const dd = document.createElement('span');
      dd.className = 'umig-field__static';
      dd.textContent = value === '' ? '—' : String(value);
      wrapper.append(dt, dd);
      return wrapper;
    }

    const label = document.createElement('label');
    label.className = 'umig-field__label';
    label.htmlFor = id;
    label.textContent = field.label;
    if (field.required) {
      const star = document.createElement('span');
      star.className = 'umig-field__required';
      star.setAttribute('aria-hidden', 'true');
      star.textContent = ' *';
      label.append(star);
    }

    let control;
    switch (field.type) {
      case 'textarea':
        control = document.createElement('textarea');
        control.rows = field.rows ?? 4;
        control.value = value;
        break;
      case 'select':
        control = document.createElement('select');
        if (!field.required) control.append(new Option(field.placeholder ?? '— none —', ''));
        for (const option of field.options ?? []) {
          const opt = new Option(option.label, String(option.value));
          opt.selected = String(option.value) === String(value);
          control.append(opt);
        }
        break;
      case 'checkbox':
        control = document.createElement('input');
        control.type = 'checkbox';
        control.checked = value === true || value === 'true';
        break;
      default:
        control = document.createElement('input');
        control.type = field.type ?? 'text';
        control.value = value;
        if (field.min !== undefined) control.min = String(field.min);
        if (field.max !== undefined) control.max = String(field.max);
        if (field.autocomplete) control.autocomplete = field.autocomplete;
    }
    control.id = id;
    control.name = field.name;
    control.className = field.type === 'checkbox' ? 'umig-checkbox' : field.type === 'select' ? 'umig-select' : 'umig-input';
    if (field.required) control.required = true;
    if (field.maxLength) control.maxLength = field.maxLength;
    if (field.pattern) control.pattern = field.pattern;
    if (field.disabled) control.disabled = true;
    if (field.placeholder && field.type !== 'select') control.placeholder = field.placeholder;

    if (field.type === 'checkbox') wrapper.append(control, label);
    else wrapper.append(label, control);

    if (field.hint) {
      const hint = document.createElement('p');
      hint.className = 'umig-field__hint';
      hint.id = `${id}-hint`;
      hint.textContent = field.hint;
      control.setAttribute('aria-describedby', hint.id);
      wrapper.append(hint);
    }
    return wrapper;
  }
}

export default FormBuilder;
