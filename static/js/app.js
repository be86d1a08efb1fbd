// Progressive enhancement only: every page works without this file.
// Forms marked data-confirm ask before they submit (destructive or irreversible actions).
document.addEventListener("submit", function (event) {
  var message = event.target.getAttribute("data-confirm");
  if (message && !window.confirm(message)) {
    event.preventDefault();
  }
});
