// Reads QR codes from the device camera: getUserMedia → canvas → jsQR.
(function () {
  "use strict";
  window.epitrace = window.epitrace || {};

  // Calls onText(text) for every code read; the same text is reported at most every `quietMs`.
  window.epitrace.startQrCamera = async function (video, canvas, onText, options) {
    const quietMs = (options && options.quietMs) || 4000;
    const stream = await navigator.mediaDevices.getUserMedia({
      video: { facingMode: "environment" }, audio: false,
    });
    video.srcObject = stream;
    await video.play();
    const context = canvas.getContext("2d", { willReadFrequently: true });
    let lastText = "";
    let lastAt = 0;
    let busy = false;
    async function tick() {
      if (!busy && video.readyState >= 2 && video.videoWidth > 0) {
        canvas.width = video.videoWidth;
        canvas.height = video.videoHeight;
        context.drawImage(video, 0, 0, canvas.width, canvas.height);
        const image = context.getImageData(0, 0, canvas.width, canvas.height);
        const code = window.jsQR(image.data, image.width, image.height, { inversionAttempts: "dontInvert" });
        const now = Date.now();
        if (code && code.data && (code.data !== lastText || now - lastAt > quietMs)) {
          lastText = code.data;
          lastAt = now;
          busy = true;
          try { await onText(code.data); } finally { busy = false; }
        }
      }
      window.setTimeout(tick, 150);
    }
    tick();
    return stream;
  };
})();
