/* Static twins of the book's panels (gtp/twins.py writes them): each .gtp-twin holds
   labelled range inputs and selects over a grid of precomputed frames; moving a control
   (mouse, arrow keys, or setting its value) swaps in that frame, its alt text and readout.
   Self-hosted, no dependencies, nothing fetched: the frames are inside the page. */
(function () {
  "use strict";

  function setup(root) {
    var script = root.querySelector("script.gtp-twin-data");
    if (!script || root.dataset.twinReady) { return; }
    var data = JSON.parse(script.textContent);
    var img = root.querySelector("img.gtp-twin-frame");
    var readout = root.querySelector(".gtp-twin-readout");
    var inputs = data.controls.map(function (c) {
      return root.querySelector('[data-control="' + c.name + '"]');
    });

    function show() {
      var k = 0;
      inputs.forEach(function (input, i) {
        var n = data.controls[i].texts.length;
        var v = Math.min(n - 1, Math.max(0, parseInt(input.value, 10) || 0));
        k = k * n + v;
        var text = data.controls[i].texts[v];
        if (input.type === "range") {
          input.setAttribute("aria-valuetext", text);
          var out = root.querySelector('output[for="' + input.id + '"]');
          if (out) { out.textContent = text; }
        }
      });
      var frame = data.frames[k];
      img.src = frame.src;
      img.alt = frame.alt;
      readout.textContent = frame.readout;
    }

    inputs.forEach(function (input) {
      input.addEventListener("input", show);
      input.addEventListener("change", show);
    });
    root.dataset.twinReady = "1";
    show();
  }

  function init() {
    Array.prototype.forEach.call(document.querySelectorAll(".gtp-twin"), setup);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
}());
