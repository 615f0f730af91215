// A read-only journal (EROFS) and a full disk (ENOSPC on a small tmpfs) at every journaled step boundary.
import { faultSuite } from './deploy-faults-harness.js';

faultSuite('io', ['journal read-only', 'ENOSPC'], false);
