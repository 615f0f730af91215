/**
 * Program entry of the build's database verification, forked by prepareVerify (src/builder/verify-run.ts): with
 * --open-pglite it opens the in-memory PGlite at once, while the build still renders the package; it takes one
 * request over IPC, answers it with answerVerifyRequest plus its own peak RSS (the measured cost), and exits, so
 * PGlite's memory never stays in the build process. A build that ends without asking (a cached result, a failure)
 * kills it; one that dies closes the IPC channel, and the process exits then.
 */
import { answerVerifyRequest, OPEN_PGLITE_ARG, openVerifyPglite, type VerifyRequest } from '../builder/verify-reply.js';

const pglite = process.argv.includes(OPEN_PGLITE_ARG) ? openVerifyPglite() : undefined;
// A PGlite that failed to open is not this process's end: the verification opens a fresh one (and reports its error).
pglite?.catch(() => undefined);

// A build that died (or never asks) closes the channel: nothing is left to answer. Checked once more here because a
// channel closed while this module was still loading fires no event.
process.once('disconnect', () => process.exit(0));
if (!process.connected) process.exit(0);
process.once('message', (request: VerifyRequest) => {
  void answerVerifyRequest(request, pglite).then((reply) => {
    const message = 'result' in reply ? { ...reply, maxRssKb: process.resourceUsage().maxRSS } : reply;
    process.send!(message, () => process.disconnect());
  });
});
