// Reads QR codes from the device camera: getUserMedia → canvas → jsQR.
(function () {
  "use strict";
  window.epitrace = window.epitrace || {};

  // Calls onText(text) for every code read; the same text is reported again only after it has
  // been out of view for `quietMs` (counted from the end of the previous answer).
  // With `once`, the camera stops after the first code (the user starts it again to rescan).
  window.epitrace.startQrCamera = async function (video, canvas, onText, options) {
    const quietMs = (options && options.quietMs) || 4000;
    const once = Boolean(options && options.once);
    let stopped = false;
    const stream = await navigator.mediaDevices.getUserMedia({
      video: { facingMode: "environment" }, audio: false,
    });
    video.srcObject = stream;
    video.hidden = false;
    await video.play();
    function stop() {
      stopped = true;
      stream.getTracks().forEach(function (track) { track.stop(); });
      video.hidden = true;
      if (options && options.onStop) { options.onStop(); }
    }
    const context = canvas.getContext("2d", { willReadFrequently: true });
    let lastText = "";
    let lastAt = 0;
    let busy = false;
    async function tick() {
      if (stopped) { return; }
      if (!busy && video.readyState >= 2 && video.videoWidth > 0) {
        canvas.width = video.videoWidth;
        canvas.height = video.videoHeight;
        context.drawImage(video, 0, 0, canvas.width, canvas.height);
        const image = context.getImageData(0, 0, canvas.width, canvas.height);
        const code = window.jsQR(image.data, image.width, image.height, { inversionAttempts: "dontInvert" });
        const now = Date.now();
        if (code && code.data && code.data === lastText && now - lastAt <= quietMs) {
          // The same code still in view: it was answered already. Keep it quiet until it has
          // been out of view for `quietMs`, so a pass held in front of the camera is sent once.
          lastAt = now;
        } else if (code && code.data) {
          lastText = code.data;
          busy = true;
          if (once) { stop(); }
          try { await onText(code.data); } finally { busy = false; lastAt = Date.now(); }
        }
      }
      window.setTimeout(tick, 150);
    }
    tick();
    return { stream: stream, stop: stop };
  };
})();
