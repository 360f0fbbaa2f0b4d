// The process version page: render the version's BPMN XML with the bpmn-js navigated viewer.
(function () {
  'use strict';
  const el = document.getElementById('diagram');
  if (!el || typeof BpmnJS === 'undefined') { return; }
  const viewer = new BpmnJS({container: el});
  fetch(el.dataset.xmlUrl, {credentials: 'same-origin'}).then(function (r) { return r.text(); })
    .then(function (xml) { return viewer.importXML(xml); })
    .then(function () { viewer.get('canvas').zoom('fit-viewport'); el.dataset.rendered = '1'; })
    .catch(function (err) {
      const box = document.getElementById('diagram-error');
      box.textContent = err.message;
      box.classList.remove('d-none');
    });
})();
