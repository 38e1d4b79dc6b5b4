// The SMTP sending thread (worker_threads), started by MailTransport when SMTP_URL is set. It owns nodemailer's
// pooled SMTP transport and composes the messages it sends, so an SMTP server's answer is read the moment it
// arrives instead of waiting behind the queue and database work of the main thread: each message takes two
// round trips (MAIL FROM, RCPT TO and DATA pipelined, then the message), and every millisecond of event-loop
// delay on each of them is a millisecond a pooled connection stands idle. Plain JavaScript (copied next to the
// compiled code) so it runs the same under the test runner and from dist/.
//
// Messages in:  { type: 'send', id, mail } (MailComposer options)  |  { type: 'close' }
// Messages out: { type: 'sent', id, response }  |  { type: 'error', id, error: { message, code, responseCode, response, command } }
// After 'close' the thread ends once the pool's connections are closed.
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
 * Messages wait here as they came (options, not yet composed), and only AHEAD of them are composed or being
 * sent at a time: enough to have the next message ready for each connection. The worker hands over its
 * claimed emails in bursts of dozens (one batch of claims); composing a whole burst at once kept this
 * thread busy while the server's answers waited, and every connection stood idle for it.
 */
const waiting = [];
const AHEAD = 2 * (workerData.options.maxConnections ?? 5);
let active = 0;

function pump() {
  while (active < AHEAD && waiting.length) {
    const msg = waiting.shift();
    active++;
    compose(msg.mail).then(send).then(
      (info) => parentPort.postMessage({ type: 'sent', id: msg.id, response: String(info.response ?? '') }),
      (err) =>
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
        }),
    ).finally(() => {
      active--;
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
  if (msg.type !== 'send') return;
  waiting.push(msg);
  pump();
});
