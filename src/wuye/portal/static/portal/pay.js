// Self-service pay pages: the room picker moves on as soon as a select changes, the total follows the
// ticked lines, and the attempt page asks for its status every 3 seconds until it is final.
// Every page works without this script (a "Next" button, the server's total, a "check now" link).
(function () {
  "use strict";
  var POLL_MS = 3000;

  function yuan(fen) {
    var whole = Math.floor(fen / 100).toString().replace(/\B(?=(\d{3})+(?!\d))/g, ",");
    var cents = fen % 100;
    return whole + "." + (cents < 10 ? "0" : "") + cents;
  }

  function roomPicker(form) {
    var next = document.getElementById("pick-next");
    if (next) { next.remove(); }
    form.addEventListener("change", function (event) {
      var name = event.target.name;
      if (name === "building" || name === "unit") {
        // A new building or unit: the finer choices below it no longer apply.
        ["unit", "room"].slice(name === "building" ? 0 : 1).forEach(function (field) {
          var select = form.elements[field];
          if (select) { select.value = ""; select.disabled = true; }
        });
      }
      form.submit();
    });
  }

  function payTotal(form) {
    var total = document.getElementById("pay-total");
    if (!total) { return; }
    form.addEventListener("change", function () {
      var fen = 0;
      form.querySelectorAll("input[name=lines]:checked").forEach(function (box) {
        fen += parseInt(box.getAttribute("data-fen"), 10) || 0;
      });
      total.textContent = yuan(fen);
    });
  }

  function pollStatus(status) {
    var url = status.getAttribute("data-poll-url");
    function poll() {
      fetch(url, { credentials: "same-origin", cache: "no-store" })
        .then(function (response) { return response.ok ? response.text() : ""; })
        .then(function (html) {
          var holder = document.createElement("div");
          holder.innerHTML = html;
          var fresh = holder.querySelector("#pay-status");
          if (fresh && fresh.getAttribute("data-final") === "1") {
            window.location.reload();  // the page shows the receipt (or the outcome) in full
            return;
          }
          if (fresh) { status.replaceWith(fresh); status = fresh; }
          window.setTimeout(poll, POLL_MS);
        })
        .catch(function () { window.setTimeout(poll, POLL_MS); });
    }
    window.setTimeout(poll, POLL_MS);
  }

  // JSAPI inside WeChat: WeChat's own pay sheet through WeixinJSBridge; the status poll sees the result.
  // Where there is no bridge (paysim's simulated WeChat browser), paysim's pay sheet stands in for it.
  function jsapiPay(button) {
    var params = JSON.parse(document.getElementById("jsapi-params").textContent);
    button.addEventListener("click", function () {
      if (window.WeixinJSBridge) {
        window.WeixinJSBridge.invoke("getBrandWCPayRequest", params, function (result) {
          if (result && result.err_msg === "get_brand_wcpay_request:ok") { window.location.reload(); }
        });
      } else if (button.getAttribute("data-paysim-sheet")) {
        window.location.href = button.getAttribute("data-paysim-sheet");
      }
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    var jsapi = document.getElementById("jsapi-pay");
    if (jsapi) { jsapiPay(jsapi); }
    var picker = document.getElementById("room-picker");
    if (picker) { roomPicker(picker); }
    var form = document.getElementById("pay-form");
    if (form) { payTotal(form); }
    var status = document.getElementById("pay-status");
    if (status && status.getAttribute("data-final") === "0") { pollStatus(status); }
  });
})();
