// A journal write function for tests: the real gathered write, which a test can hold back (every write waits until
// released) or make fail (ENOSPC) for the files `failOn` matches, counting the writes it was asked for.
import { WriteFn, writevFn } from '../../src/persistence/journal-writer.js';
import { ControlledFileOp, errnoError } from './controlled-file-op.js';

export class ControlledWrite extends ControlledFileOp {
  readonly fn: WriteFn = (fd, buffers, position) =>
    this.around(fd, (path) => errnoError('ENOSPC', `ENOSPC: no space left on device, write (${path})`), () => writevFn(fd, buffers, position));
}
