// Assignment Board: dragging a card to another executor's column reassigns the task on the server.
(function () {
  const token = document.querySelector('meta[name="csrf-token"]').content;
  const errorBox = document.getElementById('board-error');
  document.querySelectorAll('.board .cards').forEach(function (list) {
    new Sortable(list, {
      group: 'board', animation: 120,
      onAdd: function (evt) {
        const card = evt.item;
        const assignee = evt.to.dataset.assignee;
        fetch('/tasks/' + card.dataset.taskId + '/reassign', {
          method: 'POST', credentials: 'same-origin',
          headers: {'Content-Type': 'application/json', 'X-CSRFToken': token, 'Accept': 'application/json'},
          body: JSON.stringify({assignee: assignee})
        }).then(function (r) {
          if (r.ok) { errorBox.classList.add('d-none'); window.location.reload(); return; }
          return r.json().then(function (body) {
            // A refused assignee comes as a field error (422); show it rather than the generic message.
            const error = body.error || {};
            const fields = Object.values(error.fields || {});
            throw new Error(fields.length ? fields.join(' ') : (error.message || r.statusText));
          });
        }).catch(function (err) {
          evt.from.insertBefore(card, evt.from.children[evt.oldIndex] || null);
          errorBox.textContent = err.message; errorBox.classList.remove('d-none');
        });
      }
    });
  });
})();
