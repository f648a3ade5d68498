// The single-logout page (src/saml/idp/pages.ts): each frame tells one service; this asks the hub
// how many have not answered yet and goes on once none is left, or after a few seconds whatever
// they did (a service that does not answer never keeps the user on this page). Without
// JavaScript the page's "Continuer" button does the same.
(function () {
  var box = document.getElementById('saml-logout');
  var status = box.getAttribute('data-status');
  var done = box.getAttribute('data-done');
  var deadline = Date.now() + 5000;
  function next() { window.location.replace(done); }
  function poll() {
    if (Date.now() > deadline) return next();
    fetch(status, { credentials: 'same-origin', cache: 'no-store' })
      .then(function (r) { return r.json(); })
      .then(function (s) { if (s.pending === 0) next(); else setTimeout(poll, 250); })
      .catch(function () { setTimeout(poll, 500); });
  }
  setTimeout(poll, 250);
}());
