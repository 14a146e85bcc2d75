// Calls with the signed-in user's bearer token, and what a failed call says. A 401 signs out.
export class Unauthorized extends Error {}

export class HttpError extends Error {
  constructor(status, detail) {
    super(detail);
    this.status = status;
  }
}

// The page's configuration, served beside it as /<page>/config.json.
export async function loadConfig(page) {
  const response = await fetch(`/${page}/config.json`, { cache: "no-store" });
  if (!response.ok) throw new Error(`${page} configuration answered ${response.status}`);
  return response.json();
}

export async function problemDetail(response) {
  try {
    const body = await response.json();
    if (Array.isArray(body.detail)) return body.detail.map((d) => d.msg || String(d)).join("; ");
    return body.detail || body.title || response.statusText;
  } catch {
    return response.statusText || `HTTP ${response.status}`;
  }
}

// ``state`` holds the token and the generation; ``signOut(reason)`` is the page's.
export function bearerClient(state, signOut) {
  // A refusal of a token that has since been replaced must not sign the new one out.
  async function refuseUnauthorized(response, generation) {
    if (response.status === 401) {
      const detail = await problemDetail(response);
      if (generation === state.generation) signOut(`Signed out: ${detail}.`);
      throw new Unauthorized(detail);
    }
  }

  async function call(base, path, { method = "GET", body, headers: extra = {} } = {}) {
    const generation = state.generation;
    const headers = { ...extra, Authorization: `Bearer ${state.token}`, Accept: "application/json" };
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

  return { call, refuseUnauthorized };
}

export function failure(what, error) {
  if (error instanceof HttpError) return `${what}: ${error.message} (HTTP ${error.status}).`;
  // fetch() says only "Failed to fetch" for a refused connection or a missing CORS grant.
  return `${what}: the service cannot be reached (is it running, and does it allow this origin?).`;
}
