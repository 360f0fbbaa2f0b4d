// The Documents tab (documents/_generated.html): while a generated document is still rendering, fetch the
// tab's list again every couple of seconds and swap it in, so "pending" turns into "ready" (or "failed" with
// its reason and Retry) without reloading the page. Stops once nothing is pending; backs off on errors.
(function () {
  "use strict";
  var FIRST = 1000, MAX = 15000;

  function watch(box) {
    var url = box.getAttribute("data-poll-url");
    var delay = FIRST;
    var timer = null;

    function pending() {
      return box.querySelector("[data-render-status='pending']") !== null;
    }

    function schedule() {
      if (timer === null && pending()) {
        timer = window.setTimeout(tick, delay);
      }
    }

    function tick() {
      timer = null;
      window.fetch(url, {credentials: "same-origin", headers: {"Accept": "text/html"}})
        .then(function (response) {
          if (!response.ok) { throw new Error("HTTP " + response.status); }
          return response.text();
        })
        .then(function (html) {
          box.innerHTML = html;
          delay = FIRST;
        })
        .catch(function () {
          delay = Math.min(delay * 2, MAX);
        })
        .then(schedule);
    }

    box.addEventListener("generated-documents:refresh", function () { delay = FIRST; schedule(); });
    schedule();
  }

  function start() {
    var boxes = document.querySelectorAll("[data-generated-documents]");
    for (var i = 0; i < boxes.length; i++) {
      if (!boxes[i].hasAttribute("data-watching")) {
        boxes[i].setAttribute("data-watching", "1");
        watch(boxes[i]);
      }
    }
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
}());
