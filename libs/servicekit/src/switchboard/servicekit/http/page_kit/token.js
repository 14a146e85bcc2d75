// The bearer token a page signs in with: its claims are read (never verified: the services
// verify every call) to show who it says the user is; it is kept for this tab only.
import { $ } from "./dom.js";

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

// A page's sign-in and sign-out. ``state`` holds token, claims, generation and timers: signing
// in or out bumps the generation, and signing out cancels the pending timers; ``forget`` drops
// whatever else the page holds. ``pageId`` is the element shown only while signed in.
export function tokenSession({ state, tokenKey, pageId, forget }) {
  function showSignIn(reason) {
    $(pageId).hidden = true;
    $("who").hidden = true;
    $("sign-in").hidden = false;
    const reasonNode = $("sign-in-reason");
    reasonNode.textContent = reason || "";
    reasonNode.hidden = !reason;
    $("token-input").value = "";
  }

  function signOut(reason) {
    state.generation += 1;
    state.timers.forEach(clearTimeout);
    state.timers.clear();
    Object.assign(state, { token: null, claims: null });
    forget();
    sessionStorage.removeItem(tokenKey);
    showSignIn(reason);
  }

  // False (and back on the sign-in form with the reason) when the token cannot be used.
  function openSession(token) {
    let claims;
    try {
      claims = claimsOf(token.trim());
    } catch (error) {
      signOut(`Could not sign in: ${error.message}.`);
      return false;
    }
    state.generation += 1;
    Object.assign(state, { token: token.trim(), claims });
    sessionStorage.setItem(tokenKey, state.token);
    return true;
  }

  const storedToken = () => sessionStorage.getItem(tokenKey);
  return { showSignIn, signOut, openSession, storedToken };
}

// A link may carry the token in its fragment (never sent to a server); it leaves the address bar.
export function tokenFromFragment() {
  const fragment = new URLSearchParams(location.hash.slice(1));
  const token = fragment.get("token");
  if (token !== null) history.replaceState(null, "", location.pathname + location.search);
  return token;
}
