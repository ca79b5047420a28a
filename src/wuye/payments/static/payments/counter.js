// The counter: a form marked data-submit-once disables its buttons once sent, so a double click
// sends one request (the server records one prepayment per form anyway: the form carries a key).
document.addEventListener("submit", (event) => {
  const form = event.target;
  if (!form.matches("[data-submit-once]")) return;
  if (form.dataset.sent) {
    event.preventDefault();
    return;
  }
  form.dataset.sent = "1";
  form.querySelectorAll("button[type=submit]").forEach((button) => { button.disabled = true; });
});

// The payment form: the total follows the ticked lines (integer fen; the server recomputes it anyway).
document.addEventListener("change", (event) => {
  const form = event.target.closest("#payment-form");
  const total = document.getElementById("payment-total");
  if (!form || !total) return;
  let fen = 0;
  form.querySelectorAll("input[name=line]:checked").forEach((box) => { fen += parseInt(box.dataset.fen, 10); });
  const yuan = Math.floor(fen / 100).toLocaleString("en-US");
  total.textContent = `${yuan}.${String(fen % 100).padStart(2, "0")}`;
});
