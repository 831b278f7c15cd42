// Starts Swagger UI on the API docs page. An external file because the site's
// Content-Security-Policy allows scripts from this origin only, never inline ones.
(function () {
  "use strict";

  function start() {
    var root = document.getElementById("swagger-ui");
    if (!root || typeof window.SwaggerUIBundle !== "function") {
      return;
    }
    window.SwaggerUIBundle({
      url: root.getAttribute("data-url") || "/openapi.json",
      domNode: root,
      // deep links would put a link inside each operation's toggle button (nested controls)
      deepLinking: false,
      // no validator badge: it would ask an outside server to check the document
      validatorUrl: null,
      // tags folded: with every operation unfolded (150 of them) Chromium stopped rendering
      // after the second tag, without an error; a tag opens with one click
      docExpansion: "none",
      defaultModelsExpandDepth: 0,
      syntaxHighlight: false,
      tryItOutEnabled: false,
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
