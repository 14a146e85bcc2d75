// The coordinator's token (kept for this tab only), who it says they are, and their region.
import { $, el, notify } from "./dom.js";
import { state } from "./state.js";
import { tokenSession } from "./token.js";

export { tokenFromFragment } from "./token.js";

const TOKEN_KEY = "switchboard.console.token";
const REGION_KEY = "switchboard.console.region";

export const { showSignIn, signOut, openSession, storedToken } = tokenSession({
  state,
  tokenKey: TOKEN_KEY,
  pageId: "console",
  forget() {
    if (state.streamAbort) state.streamAbort.abort();
    state.streamAbort = null;
    state.escalations.clear();
    state.rows.clear();
    $("escalation-rows").replaceChildren();
    sessionStorage.removeItem(REGION_KEY);
  },
});

export function showConsole() {
  const { subject, role, regions } = state.claims;
  $("who-name").textContent = subject;
  $("who-role").textContent = role;
  $("who-regions").textContent = regions.length ? regions.join(", ") : role === "admin" ? "all" : "none";
  const stored = sessionStorage.getItem(REGION_KEY);
  state.discovered = new Set();
  state.region = regions.includes(stored) ? stored : regions[0] || "";
  fillPicker();
  $("sign-in").hidden = true;
  $("who").hidden = false;
  $("console").hidden = false;
  notify("");
}

// A token without regions (an admin's) sees every region: "" stands for all of them, and
// the picker offers the regions found in the data.
function fillPicker() {
  const own = state.claims.regions;
  const options = own.length ? own : ["", ...[...state.discovered].sort()];
  const picker = $("region");
  if (picker.options.length !== options.length) {
    picker.replaceChildren(...options.map((r) => el("option", { value: r, text: r || "All regions" })));
  }
  picker.value = state.region;
  $("region-picker").hidden = options.length < 2;
}

export function discover(items) {
  if (state.claims.regions.length) return;
  const before = state.discovered.size;
  items.forEach((item) => item.region && state.discovered.add(item.region));
  if (state.discovered.size !== before) fillPicker();
}

export function chooseRegion(region) {
  state.region = region;
  sessionStorage.setItem(REGION_KEY, state.region);
}

export const regionQuery = () => (state.region ? `?region=${encodeURIComponent(state.region)}` : "");
export const regionName = () => state.region || "all regions";
