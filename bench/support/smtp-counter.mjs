// A light SMTP server for bench:intake's inline round, in a process of its own: it stands in for the mail
// provider, so it only reads each message to its end and counts it (no parsing; bench:mail and the drills
// check the messages themselves). Prints its port on stdout; answers `stats` over IPC with { accepted }.
import { SMTPServer } from 'smtp-server';

let accepted = 0;
const server = new SMTPServer({
  authOptional: true,
  disabledCommands: ['AUTH', 'STARTTLS'],
  logger: false,
  size: 10 * 1024 * 1024,
  onData(stream, _session, callback) {
    stream.on('data', () => undefined);
    stream.on('end', () => {
      accepted++;
      callback();
    });
  },
});
server.on('error', () => undefined);
server.listen(0, '127.0.0.1', () => {
  process.send?.({ port: server.server.address().port });
});
process.on('message', (msg) => {
  if (msg === 'stats') process.send({ accepted });
  if (msg === 'stop') server.close(() => process.exit(0));
});
process.on('disconnect', () => process.exit(0));
