// Installs the service worker that keeps the check-in pages usable offline.
(function () {
  "use strict";
  if ("serviceWorker" in navigator) {
    navigator.serviceWorker.register("/sw.js", { scope: "/" }).then(function (registration) {
      // on-device mode: let an installed app check the hotspot notices in the background
      if (document.getElementById("hotspot-warnings") && registration.periodicSync) {
        return registration.periodicSync.register("hotspot-notices", { minInterval: 6 * 3600 * 1000 });
      }
      return null;
    }).catch(function () { /* no offline mode, or no background sync granted */ });
  }
})();
