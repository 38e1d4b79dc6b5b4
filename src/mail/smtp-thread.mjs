// The SMTP sending thread (worker_threads), started by MailTransport when SMTP_URL is set. It owns nodemailer's
// pooled SMTP transport and composes the messages it sends, so an SMTP server's answer is read the moment it
// arrives instead of waiting behind the queue and database work of the main thread: each message takes two
// round trips (MAIL FROM, RCPT TO and DATA pipelined, then the message), and every millisecond of event-loop
// delay on each of them is a millisecond a pooled connection stands idle. Plain JavaScript (copied next to the
// compiled code) so it runs the same under the test runner and from dist/.
//
// Messages in:  { type: 'send', id, mail, sendBy? } (MailComposer options; sendBy: epoch ms, see below)
//               | { type: 'windows', windows: [[id, sendBy], ...] } (claims renewed or lost)  |  { type: 'close' }
// Messages out: { type: 'sent', id, response }  |  { type: 'error', id, error: { message, code, responseCode, response, command } }
// After 'close' the thread ends once the pool's connections are closed.
//
// A message with a `sendBy` is handed to a connection only until then (the worker's claim on its row is about
// to lapse, or is lost: another worker may send it): later it fails with code ELEASE, and nothing of it has
// reached the server. The check is made at the last moment, when a connection is free to take the message,
// so a worker that was stopped (SIGSTOP, a long pause) sends none of the messages its lapsed claims covered.
import { parentPort, workerData } from 'node:worker_threads';
import MailComposer from 'nodemailer/lib/mail-composer';
import MimeNode from 'nodemailer/lib/mime-node';
import SMTPPool from 'nodemailer/lib/smtp-pool';

/**
 * nodemailer's pooled SMTP transport, used through its transport interface (`send(mail, callback)` with a
 * composed message node), as nodemailer's own Mail object uses it. Going through Mail would compose the
 * message a second time around the finished bytes.
 */
const pool = new SMTPPool(workerData.options);

/**
 * The whole message in one buffer before it asks the pool for a connection (see MailTransport), as the raw
 * message node the pool streams. The Message-ID is set on it only so that nodemailer need not draw a random
 * one for its logs (the header is in the bytes); the fixed boundary base is never used by a raw node.
 */
async function compose(mail) {
  const message = new MailComposer(mail).compile();
  const { from, to } = message.getEnvelope();
  const raw = new MimeNode('message/rfc822', { baseBoundary: 'raw' }).setRaw(await message.build());
  raw.setEnvelope({ from: from || undefined, to });
  raw.setHeader('Message-ID', mail.messageId);
  return raw;
}

function send(message) {
  return new Promise((resolve, reject) => pool.send({ data: {}, message }, (err, info) => (err ? reject(err) : resolve(info))));
}

/**
 * Messages wait here as they came (options, not yet composed). Up to one per connection are composed ahead
 * (`ready`) and one per connection are with the pool (`sending`): the next message is ready the moment a
 * connection is free, and a message is given to the pool only when a connection can take it at once, which is
 * when its claim is checked for the last time. The worker hands over its claimed emails in bursts of dozens
 * (one batch of claims); composing a whole burst at once kept this thread busy while the server's answers
 * waited, and every connection stood idle for it.
 */
const CONNECTIONS = workerData.options.maxConnections ?? 5;
const waiting = [];
const ready = [];
/** Messages not handed to the pool yet, by id: their `sendBy` may still move. */
const held = new Map();
let composing = 0;
let sending = 0;

function reply(msg, err) {
  held.delete(msg.id);
  parentPort.postMessage({
    type: 'error',
    id: msg.id,
    error: {
      message: String(err?.message ?? err),
      code: err?.code,
      responseCode: err?.responseCode,
      response: err?.response,
      command: err?.command,
    },
  });
}

/** A message whose claim lapsed or was lost is never handed to a connection. */
function lapsed(msg) {
  if (msg.sendBy === undefined || msg.sendBy === null || Date.now() <= msg.sendBy) return false;
  reply(msg, { message: 'The claim on this email lapsed before an SMTP connection took it', code: 'ELEASE' });
  return true;
}

function pump() {
  while (sending < CONNECTIONS && ready.length) {
    const msg = ready.shift();
    if (lapsed(msg)) continue;
    held.delete(msg.id);
    sending++;
    send(msg.raw).then(
      (info) => parentPort.postMessage({ type: 'sent', id: msg.id, response: String(info.response ?? '') }),
      (err) => reply(msg, err),
    ).finally(() => {
      sending--;
      pump();
    });
  }
  while (composing + ready.length < CONNECTIONS && waiting.length) {
    const msg = waiting.shift();
    if (lapsed(msg)) continue;
    composing++;
    compose(msg.mail).then(
      (raw) => {
        msg.raw = raw;
        msg.mail = undefined;
        ready.push(msg);
      },
      (err) => reply(msg, err),
    ).finally(() => {
      composing--;
      pump();
    });
  }
}

parentPort.on('message', (msg) => {
  if (msg.type === 'close') {
    pool.close();
    parentPort.close();
    return;
  }
  if (msg.type === 'windows') {
    for (const [id, sendBy] of msg.windows) {
      const m = held.get(id);
      if (m) m.sendBy = sendBy;
    }
    return;
  }
  if (msg.type !== 'send') return;
  held.set(msg.id, msg);
  waiting.push(msg);
  pump();
});
