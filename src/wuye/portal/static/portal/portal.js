// Owner portal: small progressive enhancements; every page works without them.
(function () {
  "use strict";
  // Ask before destructive buttons (cancel a request, withdraw a binding request).
  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-confirm]");
    if (button && !window.confirm(button.getAttribute("data-confirm"))) {
      event.preventDefault();
    }
  });
  // Installable as an app: the service worker keeps the shell and shows a page of its own offline.
  var worker = document.body && document.body.getAttribute("data-service-worker");
  if (worker && "serviceWorker" in navigator) {
    window.addEventListener("load", function () {
      navigator.serviceWorker.register(worker, { scope: worker.replace(/sw\.js$/, "") }).catch(function () {});
    });
  }
  // The request form shows the room picker or the common-area fields, as chosen.
  function showWhere(form) {
    var chosen = form.querySelector("input[name=where]:checked");
    form.querySelectorAll("[data-where]").forEach(function (block) {
      block.hidden = chosen !== null && block.getAttribute("data-where") !== chosen.value;
    });
  }
  document.addEventListener("DOMContentLoaded", function () {
    var form = document.getElementById("request-form");
    if (!form) { return; }
    showWhere(form);
    form.addEventListener("change", function (event) {
      if (event.target.name === "where") { showWhere(form); }
    });
  });
})();
