import { CliError } from './client.js';

/**
 * The SMTP password for `--password-stdin`: piped in (one trailing newline dropped, as `echo`
 * adds one), or typed at a prompt that does not echo. Never a flag: flags land in shell history
 * and in `ps` output.
 */
export async function readPassword(prompt = 'SMTP password: '): Promise<string> {
  const password = process.stdin.isTTY ? await promptHidden(prompt) : await readPiped();
  if (password === '') throw new CliError('--password-stdin read an empty password; pipe it in, e.g. printf %s "$PW" | smtpflow connections add …');
  return password;
}

async function readPiped(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8').replace(/\r?\n$/, '');
}

function promptHidden(question: string): Promise<string> {
  const stdin = process.stdin;
  process.stderr.write(question);
  stdin.setRawMode(true);
  stdin.setEncoding('utf8');
  stdin.resume();
  return new Promise((resolve, reject) => {
    let value = '';
    const finish = (): void => {
      stdin.off('data', onData);
      stdin.setRawMode(false);
      stdin.pause();
      process.stderr.write('\n');
    };
    const onData = (chunk: string): void => {
      for (const ch of chunk) {
        if (ch === '\r' || ch === '\n' || ch === '\u0004') {
          finish();
          resolve(value);
          return;
        }
        if (ch === '\u0003') {
          finish();
          reject(new CliError('cancelled'));
          return;
        }
        value = ch === '\u007f' || ch === '\b' ? value.slice(0, -1) : value + ch;
      }
    };
    stdin.on('data', onData);
  });
}
