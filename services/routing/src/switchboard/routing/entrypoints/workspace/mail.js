// An e-mail's HTML, already sanitised by intake (nh3: no script, style, form, event handler
// or dangerous URL), shown in a sandboxed frame: no scripts, forms, popups or navigation of
// the page (sandbox without allow-scripts), and its own policy on top of the page's: no
// remote image, font or style loads (a help desk blocks them: tracking pixels). Same origin
// without scripts lets the page size the frame, count the blocked images and open links.
import { el } from "./dom.js";

const FRAME_POLICY = "default-src 'none'; style-src 'self'; img-src data:";
const MAX_HEIGHT_PX = 640;
const LINKS = new Set(["http:", "https:", "mailto:"]);

export function emailBody(html, title) {
  const frame = el("iframe", {
    class: "email-html",
    sandbox: "allow-same-origin",
    referrerpolicy: "no-referrer",
    title,
  });
  frame.srcdoc = [
    "<!doctype html><html><head><meta charset=\"utf-8\">",
    `<meta http-equiv="Content-Security-Policy" content="${FRAME_POLICY}">`,
    "<link rel=\"stylesheet\" href=\"/workspace/mail.css\"></head><body>",
    html,
    "</body></html>",
  ].join("");
  const blocked = el("p", { class: "help blocked-images", hidden: true });
  frame.addEventListener("load", () => settle(frame, blocked));
  return el("div", { class: "email-body" }, frame, blocked);
}

function settle(frame, blocked) {
  const doc = frame.contentDocument;
  if (!doc) return;
  frame.style.height = `${Math.min(doc.documentElement.scrollHeight + 4, MAX_HEIGHT_PX)}px`;
  const images = doc.images.length;
  blocked.hidden = images === 0;
  blocked.textContent = `${images} image${images === 1 ? "" : "s"} not loaded (remote content is blocked).`;
  doc.addEventListener("click", (event) => {
    const link = event.target.closest?.("a[href]");
    if (!link) return;
    event.preventDefault();
    const url = new URL(link.href);
    if (LINKS.has(url.protocol)) window.open(url.href, "_blank", "noopener,noreferrer");
  });
}
