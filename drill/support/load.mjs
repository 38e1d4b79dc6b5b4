// Steady load for the drills: POST /api/inquiries at a fixed rate for a fixed time (bounded in count and
// time), round-robin over the given API URLs. Every 201 is recorded with its id, so the drill can check
// that each one was stored.
import { inquiryBody } from '../../bench/support/inquiries.mjs';

export async function postInquiry(url, body, headers = {}, timeoutMs = 10_000) {
  try {
    const res = await fetch(`${url}/api/inquiries`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(timeoutMs),
    });
    const text = await res.text();
    let json = null;
    try {
      json = JSON.parse(text);
    } catch {
      // not JSON (should not happen)
    }
    return { status: res.status, body: json, replayed: res.headers.get('idempotent-replayed') === 'true' };
  } catch (err) {
    return { status: 0, error: err.name === 'TimeoutError' ? 'timeout' : (err.cause?.code ?? err.message) };
  }
}

/**
 * Starts the load and returns at once; `done` resolves with { accepted: Map(id -> body), statuses, sent }.
 * `bodyFor(n)` may shape the n-th body (e.g. a recipient the SMTP server refuses).
 */
export function steadyLoad({ urls, perSecond, seconds, bodyFor = () => inquiryBody(), maxInFlight = 64 }) {
  const total = Math.round(perSecond * seconds);
  const accepted = new Map();
  const statuses = {};
  const started = Date.now();
  let inFlight = 0;
  let stopped = false;
  const pending = new Set();
  const done = (async () => {
    for (let n = 0; n < total && !stopped; n++) {
      const due = started + (n * 1000) / perSecond;
      const wait = due - Date.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      if (inFlight >= maxInFlight) {
        statuses.skipped = (statuses.skipped ?? 0) + 1; // the API is stalled; do not pile up connections
        continue;
      }
      const body = bodyFor(n);
      inFlight++;
      const p = postInquiry(urls[n % urls.length], body).then((r) => {
        inFlight--;
        const key = r.status || r.error;
        statuses[key] = (statuses[key] ?? 0) + 1;
        if (r.status === 201 && r.body?.id) accepted.set(r.body.id, body);
      });
      pending.add(p);
      p.finally(() => pending.delete(p));
    }
    await Promise.all(pending);
    return { accepted, statuses, sent: total };
  })();
  return {
    done,
    stop() {
      stopped = true;
    },
    get acceptedSoFar() {
      return accepted.size;
    },
  };
}
