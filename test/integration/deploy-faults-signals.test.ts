// SIGKILL, SIGINT and a torn journal tail at every journaled step boundary, plus a failing changeset, a hanging
// health check and Ctrl-C through the real CLI. The I/O faults run beside it in deploy-faults-io.test.ts.
import { faultSuite } from './deploy-faults-harness.js';

faultSuite('signals', ['SIGKILL', 'SIGINT', 'torn tail'], true);
