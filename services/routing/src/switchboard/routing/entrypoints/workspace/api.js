// Calls to routing (this origin) and intake (its base from /workspace/config.json), each
// with the agent's bearer token. A 401 signs out.
import { signOut } from "./session.js";
import { state } from "./state.js";

export class Unauthorized extends Error {}

export class HttpError extends Error {
  constructor(status, detail) {
    super(detail);
    this.status = status;
  }
}

export async function loadConfig() {
  const response = await fetch("/workspace/config.json", { cache: "no-store" });
  if (!response.ok) throw new Error(`workspace configuration answered ${response.status}`);
  return response.json();
}

async function problemDetail(response) {
  try {
    const body = await response.json();
    if (Array.isArray(body.detail)) return body.detail.map((d) => d.msg || String(d)).join("; ");
    return body.detail || body.title || response.statusText;
  } catch {
    return response.statusText || `HTTP ${response.status}`;
  }
}

async function call(base, path, { method = "GET", body } = {}) {
  const generation = state.generation;
  const headers = { Authorization: `Bearer ${state.token}`, Accept: "application/json" };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  const response = await fetch(base + path, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
    cache: "no-store",
  });
  // A refusal of a token that has since been replaced must not sign the new one out.
  if (response.status === 401) {
    const detail = await problemDetail(response);
    if (generation === state.generation) signOut(`Signed out: ${detail}.`);
    throw new Unauthorized(detail);
  }
  if (!response.ok) throw new HttpError(response.status, await problemDetail(response));
  return response.json();
}

export const routing = (path, options) => call("", path, options);
export const intake = (path, options) => call(state.config.intake_url, path, options);

export function failure(what, error) {
  if (error instanceof HttpError) return `${what}: ${error.message} (HTTP ${error.status}).`;
  // fetch() says only "Failed to fetch" for a refused connection or a missing CORS grant.
  return `${what}: the service cannot be reached (is it running, and does it allow this origin?).`;
}
