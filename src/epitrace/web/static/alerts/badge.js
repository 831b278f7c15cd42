// The unread-notices count beside "Notices" in the menu (the inbox page itself counts on the server).
(function () {
  "use strict";
  const badge = document.getElementById("unread-badge");
  if (!badge) { return; }
  fetch("/api/v1/inbox/unread", { credentials: "same-origin", headers: { "Accept": "application/json" } })
    .then(function (response) { return response.ok ? response.json() : null; })
    .then(function (data) {
      if (data && data.unread > 0) {
        badge.textContent = data.unread > 99 ? "99+" : String(data.unread);
        badge.hidden = false;
        badge.setAttribute("aria-label", badge.textContent);
      }
    })
    .catch(function () { /* offline: no badge */ });
})();
