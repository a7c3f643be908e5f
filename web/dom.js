// What every page builds its elements with (the guest's pages and the console).
"use strict";

// An element with its text (never parsed as HTML: a guest named <script> is shown, not run) and its
// attributes; null, undefined and false leave an attribute out, true sets it empty.
function el(tag, text, attrs = {}) {
  const node = document.createElement(tag);
  if (text !== undefined && text !== null) node.textContent = String(text);
  for (const [k, v] of Object.entries(attrs)) {
    if (v !== undefined && v !== null && v !== false) node.setAttribute(k, v === true ? "" : v);
  }
  return node;
}
