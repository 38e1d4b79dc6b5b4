import nodemailer from 'nodemailer';
import { TestSmtpServer } from './support/smtp.js';

describe('TestSmtpServer', () => {
  it('receives, refuses, stops and restarts', async () => {
    const smtp = await TestSmtpServer.start();
    const t = nodemailer.createTransport(smtp.url);
    await t.sendMail({ from: 'a@x.test', to: 'b@y.test', subject: 'hi', text: 'hello', html: '<p>x</p>', messageId: '<1@x>', headers: { 'X-Email-Kind': 'ack', 'X-Inquiry-Reference': 'POL-1' } });
    const m = await smtp.waitFor({ kind: 'ack', reference: 'POL-1' }, 2000);
    expect(m.messageId).toBe('<1@x>');
    expect(m.to).toEqual(['b@y.test']);
    smtp.respondWith((_e, n) => (n < 3 ? { code: 451, message: 'try later' } : null));
    await expect(t.sendMail({ from: 'a@x.test', to: 'b@y.test', subject: 's', text: 't' })).rejects.toMatchObject({ responseCode: 451 });
    const port = smtp.port;
    await smtp.stop();
    await expect(t.sendMail({ from: 'a@x.test', to: 'b@y.test', subject: 's', text: 't' })).rejects.toBeTruthy();
    await smtp.restart();
    expect(smtp.port).toBe(port);
    await t.sendMail({ from: 'a@x.test', to: 'b@y.test', subject: 's', text: 't' });
    expect(smtp.messages).toHaveLength(2);
    t.close();
    await smtp.close();
  });
});
