/* Static twins of the book's panels (gtp/twins.py writes them): each .gtp-twin holds
   labelled range inputs and selects over a grid of precomputed frames; moving a control
   (mouse, arrow keys, or setting its value) swaps in that frame, its alt text and readout.
   Below every slider, the values it offers are listed (the current one marked; a click on
   a value moves the slider there).  Self-hosted, no dependencies, nothing fetched from
   elsewhere: the frames are files of the site (_ext/twin_frames.py) or inside the page;
   a frame is fetched when it is first shown, and the others once the reader reaches for
   a control. */
(function () {
  "use strict";

  function valueList(root, input, texts) {
    var list = document.createElement("div");
    list.className = "gtp-twin-values";
    list.setAttribute("data-values-for", input.id);
    list.setAttribute("aria-hidden", "true");      // the slider's aria-valuetext says it
    texts.forEach(function (text, k) {
      var v = document.createElement("span");
      v.setAttribute("data-value", String(k));
      v.textContent = text;
      v.addEventListener("click", function () {
        input.value = String(k);
        input.dispatchEvent(new Event("input", {bubbles: true}));
      });
      list.appendChild(v);
    });
    var row = input.closest(".gtp-twin-row") || input.parentNode;
    row.parentNode.insertBefore(list, row.nextSibling);
    row.classList.add("gtp-twin-row-with-values");
    return list;
  }

  function setup(root) {
    var script = root.querySelector("script.gtp-twin-data");
    if (!script || root.dataset.twinReady) { return; }
    var data = JSON.parse(script.textContent);
    var img = root.querySelector("img.gtp-twin-frame");
    var readout = root.querySelector(".gtp-twin-readout");
    var inputs = data.controls.map(function (c) {
      return root.querySelector('[data-control="' + c.name + '"]');
    });
    var lists = inputs.map(function (input, i) {
      return input && input.type === "range" ? valueList(root, input, data.controls[i].texts) : null;
    });
    var wanted = null;

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
          Array.prototype.forEach.call(lists[i].children, function (span, j) {
            span.classList.toggle("is-current", j === v);
          });
        }
      });
      var frame = data.frames[k];
      wanted = frame.src;
      var swap = function () {
        if (wanted !== frame.src) { return; }      // a later move won
        img.src = frame.src;
        img.alt = frame.alt;
        readout.textContent = frame.readout;
        root.dataset.frame = String(k);
        delete root.dataset.pending;
      };
      root.dataset.pending = "1";
      if (frame.src.indexOf("data:") === 0) { swap(); return; }
      var next = new Image();                      // show it once it is loaded
      next.onload = swap;
      next.onerror = swap;
      next.src = frame.src;
      if (next.complete) { swap(); }
    }

    var fetched = false;
    function prefetch() {                          // the reader reaches for a control
      if (fetched) { return; }
      fetched = true;
      data.frames.forEach(function (f) {
        if (f.src.indexOf("data:") !== 0) { var i = new Image(); i.src = f.src; }
      });
    }

    inputs.forEach(function (input) {
      input.addEventListener("input", show);
      input.addEventListener("change", show);
      input.addEventListener("focus", prefetch);
      input.addEventListener("pointerenter", prefetch);
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
