// The coordinator's token (kept for this tab only), who it says they are, and their region.
import { $, el, notify } from "./dom.js";
import { state } from "./state.js";

const TOKEN_KEY = "switchboard.console.token";
const REGION_KEY = "switchboard.console.region";

function claimsOf(token) {
  const parts = token.split(".");
  if (parts.length !== 3) throw new Error("that is not a JWT (three dot-separated parts)");
  const base64 = parts[1].replace(/-/g, "+").replace(/_/g, "/");
  const padded = base64 + "=".repeat((4 - (base64.length % 4)) % 4);
  let claims;
  try {
    const bytes = Uint8Array.from(atob(padded), (c) => c.charCodeAt(0));
    claims = JSON.parse(new TextDecoder().decode(bytes));
  } catch {
    throw new Error("the token's claims cannot be read");
  }
  if (typeof claims.sub !== "string" || typeof claims.role !== "string") {
    throw new Error("the token has no subject or role");
  }
  if (typeof claims.exp === "number" && claims.exp * 1000 <= Date.now()) {
    throw new Error("the token has expired; get a new one");
  }
  const regions = Array.isArray(claims.regions) ? claims.regions.filter((r) => typeof r === "string") : [];
  return { subject: claims.sub, role: claims.role, regions: regions.sort() };
}

export function showSignIn(reason) {
  $("console").hidden = true;
  $("who").hidden = true;
  $("sign-in").hidden = false;
  const reasonNode = $("sign-in-reason");
  reasonNode.textContent = reason || "";
  reasonNode.hidden = !reason;
  $("token-input").value = "";
}

export function signOut(reason) {
  state.generation += 1;
  if (state.streamAbort) state.streamAbort.abort();
  state.timers.forEach(clearTimeout);
  state.timers.clear();
  Object.assign(state, { token: null, claims: null, streamAbort: null });
  state.escalations.clear();
  state.rows.clear();
  $("escalation-rows").replaceChildren();
  sessionStorage.removeItem(TOKEN_KEY);
  sessionStorage.removeItem(REGION_KEY);
  showSignIn(reason);
}

// False (and back on the sign-in form with the reason) when the token cannot be used.
export function openSession(token) {
  let claims;
  try {
    claims = claimsOf(token.trim());
  } catch (error) {
    signOut(`Could not sign in: ${error.message}.`);
    return false;
  }
  state.generation += 1;
  Object.assign(state, { token: token.trim(), claims });
  sessionStorage.setItem(TOKEN_KEY, state.token);
  return true;
}

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

export function tokenFromFragment() {
  const fragment = new URLSearchParams(location.hash.slice(1));
  const token = fragment.get("token");
  if (token !== null) history.replaceState(null, "", location.pathname + location.search);
  return token;
}

export const storedToken = () => sessionStorage.getItem(TOKEN_KEY);
