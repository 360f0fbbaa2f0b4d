// Record kanban (any kind): a drag between columns is a status change through the kind's API status
// endpoint (the same service as the card). A target status with a transition form opens the card's form.
(function () {
  const board = document.querySelector('.board[data-kind]');
  if (!board) { return; }
  const token = document.querySelector('meta[name="csrf-token"]').content;
  const errorBox = document.getElementById('kanban-error');
  const api = board.dataset.api;            // /api/v1/<plural>
  const cardUrl = board.dataset.cardUrl;    // /<plural>
  const formStatuses = (board.dataset.formStatuses || '').split(',').filter(Boolean);
  function showError(message) { errorBox.textContent = message; errorBox.classList.remove('d-none'); }
  board.querySelectorAll('.cards').forEach(function (list) {
    new Sortable(list, {
      group: 'kanban', animation: 120, sort: false,
      onAdd: function (evt) {
        const card = evt.item;
        const recordId = card.dataset.recordId;
        const status = evt.to.dataset.status;
        if (formStatuses.indexOf(status) !== -1) {  // needs the transition form: open the card's form
          window.location = cardUrl + '/' + recordId + '?to=' + encodeURIComponent(status);
          return;
        }
        fetch(api + '/' + recordId + '/status', {
          method: 'POST', credentials: 'same-origin',
          headers: {'Content-Type': 'application/json', 'Accept': 'application/json', 'X-CSRFToken': token},
          body: JSON.stringify({status: status})
        }).then(function (r) {
          return r.json().then(function (body) {
            if (!r.ok) { throw new Error(body.error ? body.error.message : r.statusText); }
            if (body.redirect) { window.location = body.redirect; return; }  // e.g. a lead became a deal
            window.location.reload();
          });
        }).catch(function (err) {
          evt.from.insertBefore(card, evt.from.children[evt.oldIndex] || null);
          showError(err.message);
        });
      }
    });
  });
  board.querySelectorAll('.load-more').forEach(function (btn) {
    btn.addEventListener('click', function () {
      const url = new URL(btn.dataset.url, window.location.origin);
      url.searchParams.set('offset', btn.dataset.offset);
      fetch(url, {credentials: 'same-origin'}).then(function (r) { return r.text(); }).then(function (html) {
        const column = board.querySelector('.cards[data-status="' + btn.dataset.status + '"]');
        column.insertAdjacentHTML('beforeend', html);
        const loaded = column.querySelectorAll('[data-record-id]').length;
        btn.dataset.offset = loaded;
        const count = parseInt(board.querySelector('[data-testid="count-' + btn.dataset.status + '"]').textContent, 10);
        if (loaded >= count) { btn.remove(); }
      });
    });
  });
})();
