// Every value from a server goes into the page through textContent or attributes, never as
// markup: these helpers are the only way a page builds elements.
const SVG = "http://www.w3.org/2000/svg";

export const $ = (id) => document.getElementById(id);

export function el(tag, attributes = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === null || value === undefined || value === false) continue;
    if (name === "text") node.textContent = String(value);
    else node.setAttribute(name, value === true ? "" : String(value));
  }
  node.append(...children);
  return node;
}

export function svg(tag, attributes = {}, text = null) {
  const node = document.createElementNS(SVG, tag);
  for (const [name, value] of Object.entries(attributes)) node.setAttribute(name, String(value));
  if (text !== null) node.textContent = text;
  return node;
}

export function table(headings, rows, caption) {
  return el(
    "table",
    { class: "data" },
    el("caption", { class: "visually-hidden", text: caption }),
    el("thead", {}, el("tr", {}, ...headings.map((h) => el("th", { scope: "col", text: h })))),
    el("tbody", {}, ...rows.map((cells) => el("tr", {}, ...cells.map((c, i) => el("td", { "data-label": headings[i], text: c }))))),
  );
}

export function empty(message) {
  return el("p", { class: "empty", text: message });
}

export function showIn(containerId, ...nodes) {
  const container = $(containerId);
  container.replaceChildren(...nodes);
  container.removeAttribute("aria-busy");
}

export function notify(message) {
  $("notice").textContent = message;
}
