// Generic page behaviours, loaded by base.html on every page. The Content-Security-Policy allows no
// inline script, so templates declare behaviour with data attributes instead of on* handlers:
//   data-autosubmit          on a select/checkbox/input: submit its form when it changes
//   data-confirm="message"   on a form (asked on submit) or a button/link (asked on click)
//   data-history-back        on a link/button: go back one page (the link's href is the fallback)
(function () {
  'use strict';

  document.addEventListener('change', function (event) {
    const field = event.target.closest('[data-autosubmit]');
    if (field && field.form) {
      if (typeof field.form.requestSubmit === 'function') { field.form.requestSubmit(); } else { field.form.submit(); }
    }
  });

  // Capture phase: the question comes before any other click handler acts on the element.
  document.addEventListener('click', function (event) {
    const back = event.target.closest('[data-history-back]');
    if (back && window.history.length > 1) {
      event.preventDefault();
      window.history.back();
      return;
    }
    const trigger = event.target.closest('button[data-confirm], input[type=submit][data-confirm], a[data-confirm]');
    if (trigger && !window.confirm(trigger.dataset.confirm)) {
      event.preventDefault();
      event.stopImmediatePropagation();
      // A confirmed button inside a data-confirm form must not be asked a second time.
    } else if (trigger && trigger.form) {
      trigger.form.dataset.confirmed = '1';
    }
  }, true);

  document.addEventListener('submit', function (event) {
    const form = event.target;
    if (!(form instanceof HTMLFormElement) || !form.dataset.confirm) { return; }
    if (form.dataset.confirmed === '1') { delete form.dataset.confirmed; return; }
    if (!window.confirm(form.dataset.confirm)) { event.preventDefault(); event.stopImmediatePropagation(); }
  }, true);

  // A link to a card tab (/deals/7#tab-products, e.g. after saving a line) opens that tab.
  document.addEventListener('DOMContentLoaded', function () {
    if (!window.location.hash.startsWith('#tab-') || !window.bootstrap) { return; }
    const button = document.querySelector('[data-bs-toggle="tab"][data-bs-target="' + window.location.hash + '"]');
    if (button) { window.bootstrap.Tab.getOrCreateInstance(button).show(); }
  });
})();
