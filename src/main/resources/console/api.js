// Calls of the Meridian API v1 with the operator's bearer token. The token lives in this tab's
// sessionStorage only (never in a URL, never in localStorage): closing the tab forgets it.

const TOKEN_KEY = 'meridian.console.token';

export function token() {
  return sessionStorage.getItem(TOKEN_KEY) || '';
}

export function setToken(value) {
  if (value) sessionStorage.setItem(TOKEN_KEY, value);
  else sessionStorage.removeItem(TOKEN_KEY);
}

/** An API answer that is not 2xx: its status and the API's {"error","message"}. */
export class ApiError extends Error {
  constructor(status, code, message) {
    super(`${status} ${code}: ${message}`);
    this.status = status;
    this.code = code;
  }
}

/** GET or POST a /v1 path; resolves with the JSON body, rejects with an ApiError. */
export async function call(method, path, body) {
  const headers = { Authorization: `Bearer ${token()}` };
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  const response = await fetch(path, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
    cache: 'no-store',
  });
  const text = await response.text();
  let json = {};
  try { json = text ? JSON.parse(text) : {}; } catch (e) { json = { error: 'not_json', message: text }; }
  if (!response.ok) throw new ApiError(response.status, json.error || 'error', json.message || text);
  return json;
}

/**
 * Follows GET /v1/events as server-sent events through fetch (EventSource cannot send a bearer
 * header), calling onEvent(type, data) for each; reconnects with Last-Event-ID after a drop.
 * onState(text) tells whether the stream is open.
 */
export function followEvents(onEvent, onState) {
  let lastId = '';
  let stopped = false;
  async function connect() {
    while (!stopped) {
      try {
        const headers = { Accept: 'text/event-stream', Authorization: `Bearer ${token()}` };
        if (lastId) headers['Last-Event-ID'] = lastId;
        const response = await fetch('/v1/events', { headers, cache: 'no-store' });
        if (!response.ok) throw new Error(`HTTP ${response.status}`);
        onState('live');
        const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
        let buffer = '';
        for (;;) {
          const { value, done } = await reader.read();
          if (done) break;
          buffer += value;
          let end;
          while ((end = buffer.indexOf('\n\n')) >= 0) {
            const block = buffer.slice(0, end);
            buffer = buffer.slice(end + 2);
            const event = parseBlock(block);
            if (event.id) lastId = event.id;
            if (event.data) onEvent(event.type || 'message', JSON.parse(event.data));
          }
        }
        onState('reconnecting');
      } catch (e) {
        onState(`closed (${e.message}); retrying`);
      }
      await new Promise((resolve) => setTimeout(resolve, 2000));
    }
  }
  connect();
  return () => { stopped = true; };
}

function parseBlock(block) {
  const event = { data: '' };
  for (const line of block.split('\n')) {
    if (line.startsWith(':')) continue; // a keep-alive comment
    const colon = line.indexOf(':');
    const field = colon < 0 ? line : line.slice(0, colon);
    const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
    if (field === 'data') event.data += (event.data ? '\n' : '') + value;
    else if (field === 'event') event.type = value;
    else if (field === 'id') event.id = value;
  }
  return event;
}
