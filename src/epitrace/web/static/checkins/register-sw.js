// Installs the service worker that keeps the check-in pages usable offline.
(function () {
  "use strict";
  if ("serviceWorker" in navigator) {
    navigator.serviceWorker.register("/sw.js", { scope: "/" }).catch(function () { /* no offline mode */ });
  }
})();
