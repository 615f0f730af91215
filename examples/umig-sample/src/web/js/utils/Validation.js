/**
 * Validation — declarative field rules shared by the entity forms.
 *
 * A schema is a map of field name -> list of rules; `validate(schema, values)` returns
 * `{ valid, errors: { field: [messages] } }`. Rules mirror the database constraints (db/changelog) so a form
 * never submits something PostgreSQL would reject with a less helpful message.
 */

export const rules = {
  required: (message = 'This field is required') => (value) =>
    value === null || value === undefined || (typeof value === 'string' && value.trim() === '') || (Array.isArray(value) && value.length === 0)
      ? message
      : null,

  maxLength: (max, message) => (value) =>
    typeof value === 'string' && value.length > max ? message ?? `At most ${max} characters (${value.length} entered)` : null,

  minLength: (min, message) => (value) =>
    typeof value === 'string' && value.length > 0 && value.length < min ? message ?? `At least ${min} characters` : null,

  pattern: (regex, message = 'Invalid format') => (value) =>
    typeof value === 'string' && value !== '' && !regex.test(value) ? message : null,

  email: (message = 'Enter a valid e-mail address') => (value) =>
    typeof value === 'string' && value !== '' && !/^[^\s@]+@[^\s@]+\.[^\s@]{2,}$/.test(value) ? message : null,

  integer: (message = 'Enter a whole number') => (value) =>
    value !== '' && value !== null && value !== undefined && !Number.isInteger(Number(value)) ? message : null,

  range: (min, max, message) => (value) => {
    if (value === '' || value === null || value === undefined) return null;
    const n = Number(value);
    return Number.isNaN(n) || n < min || n > max ? message ?? `Must be between ${min} and ${max}` : null;
  },

  oneOf: (allowed, message) => (value) =>
    value !== '' && value !== null && value !== undefined && !allowed.includes(value) ? message ?? `Must be one of ${allowed.join(', ')}` : null,

  /** The end date must not be before the start date (mirrors ck_mgr_dates). */
  dateAfter: (otherField, message) => (value, values) => {
    if (!value || !values?.[otherField]) return null;
    return new Date(value) < new Date(values[otherField]) ? message ?? `Must not be before ${otherField.replace(/_/g, ' ')}` : null;
  },

  hexColor: (message = 'Use a colour like #0052CC') => (value) =>
    typeof value === 'string' && value !== '' && !/^#[0-9A-Fa-f]{6}$/.test(value) ? message : null,
};

/** Runs every rule of every field; collects all messages (users fix a form in one pass, not one error at a time). */
export function validate(schema, values) {
  const errors = {};
  for (const [field, fieldRules] of Object.entries(schema)) {
    const messages = [];
    for (const rule of fieldRules) {
      const message = rule(values?.[field], values);
      if (message) messages.push(message);
    }
    if (messages.length) errors[field] = messages;
  }
  return { valid: Object.keys(errors).length === 0, errors };
}

/** Field rules matching the UMIG tables. */
export const schemas = {
  team: {
    tms_name: [rules.required(), rules.maxLength(64)],
    tms_email: [rules.email(), rules.maxLength(255)],
    tms_description: [rules.maxLength(2000)],
  },
  user: {
    usr_code: [rules.required(), rules.pattern(/^[A-Z]{3}$/, 'Three capital letters, e.g. JDO')],
    usr_first_name: [rules.required(), rules.maxLength(50)],
    usr_last_name: [rules.required(), rules.maxLength(50)],
    usr_email: [rules.required(), rules.email(), rules.maxLength(255)],
  },
  migration: {
    mgr_name: [rules.required(), rules.maxLength(255)],
    mgr_type: [rules.required(), rules.oneOf(['EXTERNAL', 'INTERNAL', 'MAINTENANCE'])],
    mgr_start_date: [],
    mgr_end_date: [rules.dateAfter('mgr_start_date', 'The end date is before the start date')],
  },
  iteration: {
    ite_name: [rules.required(), rules.maxLength(255)],
    ite_type: [rules.required(), rules.oneOf(['RUN', 'DR', 'CUTOVER'])],
  },
  step: {
    stm_number: [rules.required(), rules.integer(), rules.range(1, 99_999)],
    stm_name: [rules.required(), rules.maxLength(255)],
    stm_duration_minutes: [rules.integer(), rules.range(0, 10_080, 'At most one week (10080 minutes)')],
  },
};

/** Converts the `{ field: [messages] }` map to a flat list for a summary banner. */
export function flattenErrors(errors, labels = {}) {
  return Object.entries(errors).flatMap(([field, messages]) => messages.map((m) => `${labels[field] ?? field}: ${m}`));
}
