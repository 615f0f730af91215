import { SlipwayError } from '../errors.js';

/**
 * Reads one line from a terminal without echoing it (raw mode, so nothing typed reaches the screen). Hand-written:
 * node:readline has no silent mode, and ~30 lines do not justify a dependency (the `read` package does the same
 * through mute-stream).
 */
export function promptSecret(prompt: string, input: NodeJS.ReadStream, output: NodeJS.WritableStream): Promise<string> {
  return new Promise((resolve, reject) => {
    const wasRaw = input.isRaw;
    // Echo off before the prompt appears: whatever is typed in reply to it must never reach the screen.
    input.setRawMode(true);
    output.write(prompt);
    input.setEncoding('utf8');
    input.resume();
    let value = '';
    const finish = (error?: Error) => {
      input.off('data', onData);
      input.setRawMode(wasRaw);
      input.pause();
      output.write('\n');
      if (error) reject(error);
      else resolve(value);
    };
    const onData = (chunk: string) => {
      for (const ch of chunk) {
        if (ch === '\r' || ch === '\n' || ch === '\u0004') return finish();
        // Raw mode turns Ctrl-C into a character instead of SIGINT.
        if (ch === '\u0003') return finish(new SlipwayError('E_USAGE', 'password entry cancelled (Ctrl-C)'));
        if (ch === '\u007f' || ch === '\b') value = Array.from(value).slice(0, -1).join('');
        else if (ch >= ' ') value += ch;
      }
    };
    input.on('data', onData);
  });
}
