/* Behaviour shared by every page, kept out of the templates so that the Content-Security-Policy can refuse
 * all inline script and inline style (README "Configuration", CSP):
 * - <select data-autosubmit>: submits its form when changed (the language menu);
 * - <button data-confirm="question"> / <form data-confirm="question">: asks before submitting;
 * - <details class="menu-group"> (the top bar's "Lists" and "Forces"): one open at a time, closed by a click
 *   elsewhere or Escape;
 * - <span class="prob" data-p="42">: the bar behind a routing proposal's probability (CSS variable --p),
 *   also in fragments swapped in by htmx.
 * Loaded (deferred) right after htmx, so it runs before htmx's start-up on DOMContentLoaded: htmx must not
 * inject its indicator <style> element (the same rules are in shaobao.css). Pages keep their own
 * <meta name="htmx-config"> for anything else. */
(function () {
  "use strict";

  if (window.htmx) {
    window.htmx.config.includeIndicatorStyles = false;
  }

  document.addEventListener("change", function (event) {
    var el = event.target;
    if (el.matches && el.matches("select[data-autosubmit]") && el.form) {
      el.form.submit();
    }
  });

  function closeMenuGroups(except) {
    document.querySelectorAll("details.menu-group[open]").forEach(function (d) {
      if (d !== except) { d.open = false; }
    });
  }
  document.addEventListener("click", function (event) {
    closeMenuGroups(event.target.closest ? event.target.closest("details.menu-group") : null);
  });
  document.addEventListener("keydown", function (event) {
    if (event.key === "Escape") { closeMenuGroups(null); }
  });

  document.addEventListener("click", function (event) {
    var el = event.target.closest && event.target.closest("button[data-confirm], input[data-confirm]");
    if (el && !window.confirm(el.getAttribute("data-confirm"))) {
      event.preventDefault();
      event.stopImmediatePropagation();
    }
  }, true);

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (form.matches && form.matches("form[data-confirm]") && !window.confirm(form.getAttribute("data-confirm"))) {
      event.preventDefault();
      event.stopImmediatePropagation();
    }
  }, true);

  function bars(root) {
    (root.querySelectorAll ? root.querySelectorAll("[data-p]") : []).forEach(function (el) {
      el.style.setProperty("--p", (parseFloat(el.getAttribute("data-p")) || 0) + "%");
    });
  }
  document.addEventListener("DOMContentLoaded", function () { bars(document); });
  document.addEventListener("htmx:load", function (event) { bars(event.detail.elt); });
})();
