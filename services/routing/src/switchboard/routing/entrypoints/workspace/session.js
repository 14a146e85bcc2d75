// The agent's token (kept for this tab only) and who it says they are.
import { $ } from "./dom.js";
import { state } from "./state.js";

const TOKEN_KEY = "switchboard.workspace.token";

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
  return { subject: claims.sub, role: claims.role };
}

export function showSignIn(reason) {
  $("workspace").hidden = true;
  $("who").hidden = true;
  $("sign-in").hidden = false;
  const reasonNode = $("sign-in-reason");
  reasonNode.textContent = reason || "";
  reasonNode.hidden = !reason;
  $("token-input").value = "";
}

export function signOut(reason) {
  state.generation += 1;
  state.timers.forEach(clearTimeout);
  state.timers.clear();
  Object.assign(state, {
    token: null, claims: null, openCase: null, conversation: null, customerId: null, prefilledFor: null,
  });
  state.work.clear();
  state.rows.clear();
  state.messageNodes.clear();
  $("work").replaceChildren();
  $("messages").replaceChildren();
  sessionStorage.removeItem(TOKEN_KEY);
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

export function showWorkspace() {
  $("who-name").textContent = state.claims.subject;
  $("sign-in").hidden = true;
  $("who").hidden = false;
  $("workspace").hidden = false;
}

export function tokenFromFragment() {
  const fragment = new URLSearchParams(location.hash.slice(1));
  const token = fragment.get("token");
  if (token !== null) history.replaceState(null, "", location.pathname + location.search);
  return token;
}

export const storedToken = () => sessionStorage.getItem(TOKEN_KEY);
export const agentPath = () => `/v1/agents/${encodeURIComponent(state.claims.subject)}`;
