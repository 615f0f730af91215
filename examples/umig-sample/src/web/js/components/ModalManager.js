/**
 * ModalManager — accessible dialogs (confirm, form, info) on top of the native <dialog> element.
 *
 * Requirements from the accessibility review:
 *  - focus moves into the dialog and returns to the opener on close,
 *  - Tab is trapped inside, Escape cancels, the backdrop click cancels only for non-destructive dialogs,
 *  - the title is announced (aria-labelledby) and a destructive action is visually distinct.
 * Only one dialog is open at a time; opening another queues it.
 */

import { SecurityUtils } from '../utils/SecurityUtils.js';

const FOCUSABLE = 'a[href], button:not([disabled]), input:not([disabled]), select:not([disabled]), textarea:not([disabled]), [tabindex]:not([tabindex="-1"])';

let dialogCounter = 0;

export class ModalManager {
  constructor({ root = globalThis.document?.body } = {}) {
    this.root = root;
    this.queue = [];
    this.active = null;
  }

  /** Resolves true when the user confirms, false when they cancel. */
  confirm({ title, message, confirmLabel = 'Confirm', cancelLabel = 'Cancel', destructive = false }) {
    return this.open({
      title,
      body: ModalManager.paragraph(message),
      actions: [
        { label: cancelLabel, value: false, variant: 'subtle' },
        { label: confirmLabel, value: true, variant: destructive ? 'danger' : 'primary', autofocus: !destructive },
      ],
      dismissValue: false,
      dismissOnBackdrop: !destructive,
    });
  }

  /** An informational dialog with a single OK button. */
  alert({ title, message, okLabel = 'OK' }) {
    return this.open({ title, body: ModalManager.paragraph(message), actions: [{ label: okLabel, value: true, variant: 'primary', autofocus: true }], dismissValue: true });
  }

  /**
   * A dialog wrapping a form element. `onSubmit(formData)` may return an object of field errors to keep the
   * dialog open and show them; anything else closes the dialog and resolves with that value.
   */
  form({ title, form, submitLabel = 'Save', cancelLabel = 'Cancel', onSubmit }) {
    return this.open({
      title,
      body: form,
      actions: [
        { label: cancelLabel, value: null, variant: 'subtle' },
        { label: submitLabel, value: 'submit', variant: 'primary', submit: true },
      ],
      dismissValue: null,
      onAction: async (value, close, dialog) => {
        if (value !== 'submit') return close(value);
        if (!form.reportValidity()) return undefined;
        const data = Object.fromEntries(new FormData(form).entries());
        const submitButton = dialog.querySelector('[data-submit]');
        submitButton?.setAttribute('disabled', '');
        try {
          const result = await onSubmit(data);
          if (result && result.fieldErrors) {
            ModalManager.showFieldErrors(form, result.fieldErrors);
            return undefined;
          }
          return close(result ?? data);
        } finally {
          submitButton?.removeAttribute('disabled');
        }
      },
    });
  }

  /** Generic open; returns a promise for the chosen action's value. */
  open(spec) {
    return new Promise((resolve) => {
      this.queue.push({ spec, resolve });
      if (!this.active) this.#next();
    });
  }

  closeAll() {
    this.queue.length = 0;
    this.active?.close(this.active.spec.dismissValue ?? null);
  }

  #next() {
    const item = this.queue.shift();
    if (!item) {
      this.active = null;
      return;
    }
    const { spec, resolve } = item;
    const opener = document.activeElement;
    const titleId = `umig-dialog-title-${++dialogCounter}`;
    const dialog = document.createElement('dialog');
    dialog.className = 'umig-modal';
    dialog.setAttribute('aria-labelledby', titleId);

    const header = document.createElement('header');
    header.className = 'umig-modal__header';
    const h2 = document.createElement('h2');
    h2.id = titleId;
    h2.textContent = spec.title ?? '';
    const closeButton = document.createElement('button');
    closeButton.type = 'button';
    closeButton.className = 'umig-modal__close';
    closeButton.setAttribute('aria-label', 'Close');
    closeButton.textContent = '×';
    header.append(h2, closeButton);

    const body = document.createElement('div');
    body.className = 'umig-modal__body';
    if (spec.body instanceof Node) body.append(spec.body);
    else if (spec.body !== undefined) body.append(ModalManager.paragraph(spec.body));

    const footer = document.createElement('footer');
    footer.className = 'umig-modal__footer';
    for (const action of spec.actions ?? []) {
      const button = document.createElement('button');
      button.type = 'button';
      button.className = `umig-button umig-button--${action.variant ?? 'default'}`;
      button.textContent = action.label;
      button.dataset.actionIndex = String(spec.actions.indexOf(action));
      if (action.submit) button.dataset.submit = '';
      if (action.autofocus) button.autofocus = true;
      footer.append(button);
    }
    dialog.append(header, body, footer);
    this.root.append(dialog);

    let closed = false;
    const close = (value) => {
      if (closed) return;
      closed = true;
      dialog.removeEventListener('keydown', onKeyDown);
      if (dialog.open) dialog.close();
      dialog.remove();
      if (opener instanceof HTMLElement && opener.isConnected) opener.focus();
      resolve(value);
      this.#next();
    };
    const onKeyDown = (event) => {
      if (event.key === 'Escape') {
        event.preventDefault();
        close(spec.dismissValue ?? null);
      } else if (event.key === 'Tab') {
        ModalManager.trapTab(event, dialog);
      }
    };
    dialog.addEventListener('keydown', onKeyDown);
    closeButton.addEventListener('click', () => close(spec.dismissValue ?? null));
    dialog.addEventListener('click', (event) => {
      // A click on the <dialog> element itself (not its content) is a click on the backdrop.
      if (event.target === dialog && spec.dismissOnBackdrop !== false) close(spec.dismissValue ?? null);
    });
    footer.addEventListener('click', (event) => {
      const button = event.target instanceof Element ? event.target.closest('button[data-action-index]') : null;
      if (!button) return;
      const action = spec.actions[Number(button.dataset.actionIndex)];
      if (spec.onAction) spec.onAction(action.value, close, dialog);
      else close(action.value);
    });

    this.active = { spec, close };
    if (typeof dialog.showModal === 'function') dialog.showModal();
    else dialog.setAttribute('open', '');
    const first = dialog.querySelector('[autofocus]') ?? dialog.querySelector(FOCUSABLE);
    first?.focus();
  }

  static trapTab(event, dialog) {
    const focusable = Array.from(dialog.querySelectorAll(FOCUSABLE));
    if (!focusable.length) return;
    const first = focusable[0];
    const last = focusable[focusable.length - 1];
    if (event.shiftKey && document.activeElement === first) {
      event.preventDefault();
      last.focus();
    } else if (!event.shiftKey && document.activeElement === last) {
      event.preventDefault();
      first.focus();
    }
  }

  static paragraph(text) {
    const p = document.createElement('p');
    p.textContent = text ?? '';
    return p;
  }

  /** Marks invalid fields and writes the messages next to them (text only; messages may echo user input). */
  static showFieldErrors(form, fieldErrors) {
    form.querySelectorAll('.umig-field__error').forEach((el) => el.remove());
    form.querySelectorAll('[aria-invalid]').forEach((el) => el.removeAttribute('aria-invalid'));
    let firstInvalid = null;
    for (const [name, messages] of Object.entries(fieldErrors)) {
      const input = form.elements.namedItem(name);
      if (!(input instanceof HTMLElement)) continue;
      input.setAttribute('aria-invalid', 'true');
      const error = document.createElement('p');
      error.className = 'umig-field__error';
      error.id = `${input.id || name}-error`;
      error.textContent = (Array.isArray(messages) ? messages : [messages]).map((m) => SecurityUtils.sanitizeInput(String(m))).join(' ');
      input.setAttribute('aria-describedby', error.id);
      input.insertAdjacentElement('afterend', error);
      firstInvalid ??= input;
    }
    firstInvalid?.focus();
  }
}

export const modalManager = new ModalManager();

export default ModalManager;
