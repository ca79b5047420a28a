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
