// Leads kanban: a drag between columns is a status change through the process (same service as the card).
(function () {
  const token = document.querySelector('meta[name="csrf-token"]').content;
  const errorBox = document.getElementById('kanban-error');
  function showError(message) { errorBox.textContent = message; errorBox.classList.remove('d-none'); }
  document.querySelectorAll('.board .cards').forEach(function (list) {
    new Sortable(list, {
      group: 'kanban', animation: 120, sort: false,
      onAdd: function (evt) {
        const card = evt.item;
        const leadId = card.dataset.leadId;
        const status = evt.to.dataset.status;
        if (status === 'disqualified') {  // needs a reason: open the card's form
          window.location = '/leads/' + leadId + '?to=disqualified';
          return;
        }
        fetch('/leads/' + leadId + '/status', {
          method: 'POST', credentials: 'same-origin',
          headers: {'Content-Type': 'application/json', 'Accept': 'application/json', 'X-CSRFToken': token},
          body: JSON.stringify({status: status})
        }).then(function (r) {
          return r.json().then(function (body) {
            if (!r.ok) { throw new Error(body.error ? body.error.message : r.statusText); }
            if (body.status === 'deal' && body.deal_id) { window.location = '/deals/' + body.deal_id; return; }
            window.location.reload();
          });
        }).catch(function (err) {
          evt.from.insertBefore(card, evt.from.children[evt.oldIndex] || null);
          showError(err.message);
        });
      }
    });
  });
  document.querySelectorAll('.load-more').forEach(function (btn) {
    btn.addEventListener('click', function () {
      const url = new URL(btn.dataset.url, window.location.origin);
      url.searchParams.set('offset', btn.dataset.offset);
      fetch(url, {credentials: 'same-origin'}).then(function (r) { return r.text(); }).then(function (html) {
        const column = document.querySelector('.cards[data-status="' + btn.dataset.status + '"]');
        column.insertAdjacentHTML('beforeend', html);
        const loaded = column.querySelectorAll('[data-lead-id]').length;
        btn.dataset.offset = loaded;
        const count = parseInt(document.querySelector('[data-testid="count-' + btn.dataset.status + '"]').textContent, 10);
        if (loaded >= count) { btn.remove(); }
      });
    });
  });
})();
