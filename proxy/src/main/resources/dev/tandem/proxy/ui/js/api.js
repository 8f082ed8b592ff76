// The admin token lives in sessionStorage: this tab only, gone when it closes.
const KEY = 'tandem.adminToken';

export const token = {
  get: () => sessionStorage.getItem(KEY),
  set: t => sessionStorage.setItem(KEY, t),
  clear: () => sessionStorage.removeItem(KEY),
};

/** Raised on a 401 after sign-in: the app goes back to the login form. */
export const UNAUTHORIZED = 'tandem:unauthorized';

/**
 * Calls the admin API with the bearer token. Resolves to {status, ok, json, text}; never rejects for an HTTP
 * status, only for a network failure (then status is 0 and text says what happened).
 */
export async function api(path, { method = 'GET', body, bearer = token.get(), raw = false } = {}) {
  const headers = { Accept: raw ? 'text/plain' : 'application/json' };
  if (bearer) headers.Authorization = `Bearer ${bearer}`;
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  let response;
  try {
    response = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body),
      cache: 'no-store' });
  } catch (e) {
    return { status: 0, ok: false, json: null, text: `the admin server did not answer (${e.message})` };
  }
  const text = await response.text();
  let json = null;
  if (!raw) {
    try { json = text ? JSON.parse(text) : {}; } catch { json = null; }
  }
  if (response.status === 401 && bearer && bearer === token.get()) {
    window.dispatchEvent(new CustomEvent(UNAUTHORIZED));
  }
  return { status: response.status, ok: response.ok, json, text };
}

/** What the API said when it refused: its message, else the status. */
export function refusal(r) {
  if (r.status === 0) return r.text;
  const message = r.json?.message ?? r.text?.trim();
  return `${r.status}${message ? ` ${message}` : ''}`;
}
