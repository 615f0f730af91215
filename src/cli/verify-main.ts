/**
 * Program entry of the build's database verification, forked by startVerify (src/builder/verify-run.ts): it takes
 * one request over IPC, answers it with answerVerifyRequest plus its own peak RSS (the measured cost), and exits, so
 * PGlite's memory never stays in the build process.
 */
import { answerVerifyRequest, type VerifyRequest } from '../builder/verify-reply.js';
import { preferBaselineWasm } from './wasm-startup.js';

preferBaselineWasm(); // before answerVerifyRequest loads PGlite

process.once('message', (request: VerifyRequest) => {
  void answerVerifyRequest(request).then((reply) => {
    const message = 'result' in reply ? { ...reply, maxRssKb: process.resourceUsage().maxRSS } : reply;
    process.send!(message, () => process.disconnect());
  });
});
