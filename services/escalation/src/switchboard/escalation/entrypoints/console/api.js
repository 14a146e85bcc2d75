// Calls to escalation (this origin), routing, feedback and intake (their bases from
// /console/config.json), each with the coordinator's bearer token. A 401 signs out.
import { signOut } from "./session.js";
import { state } from "./state.js";

export class Unauthorized extends Error {}

class HttpError extends Error {
  constructor(status, detail) {
    super(detail);
    this.status = status;
  }
}

export async function loadConfig() {
  const response = await fetch("/console/config.json", { cache: "no-store" });
  if (!response.ok) throw new Error(`console configuration answered ${response.status}`);
  return response.json();
}

async function problemDetail(response) {
  try {
    const body = await response.json();
    return body.detail || body.title || response.statusText;
  } catch {
    return response.statusText || `HTTP ${response.status}`;
  }
}

// A refusal of a token that has since been replaced must not sign the new one out.
async function refuseUnauthorized(response, generation) {
  if (response.status === 401) {
    const detail = await problemDetail(response);
    if (generation === state.generation) signOut(`Signed out: ${detail}.`);
    throw new Unauthorized(detail);
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
  await refuseUnauthorized(response, generation);
  if (!response.ok) throw new HttpError(response.status, await problemDetail(response));
  return response.json();
}

export const escalation = (path, options) => call("", path, options);
export const routing = (path) => call(state.config.routing_url, path);
export const feedback = (path) => call(state.config.feedback_url, path);
export const intake = (path) => call(state.config.intake_url, path);

// fetch and not EventSource: EventSource cannot send a bearer token.
export async function openEscalationStream(generation, signal) {
  const response = await fetch("/v1/escalations/stream", {
    headers: { Authorization: `Bearer ${state.token}`, Accept: "text/event-stream" },
    cache: "no-store",
    signal,
  });
  await refuseUnauthorized(response, generation);
  if (!response.ok || !response.body) throw new HttpError(response.status, await problemDetail(response));
  return response.body;
}

export function failure(what, error) {
  if (error instanceof HttpError) return `${what}: ${error.message} (HTTP ${error.status}).`;
  // fetch() says only "Failed to fetch" for a refused connection or a missing CORS grant.
  return `${what}: the service cannot be reached (is it running, and does it allow this origin?).`;
}
