/**
 * Preloaded into the service by `npm run bench:profile -- --alloc` (`node --import`): samples
 * every allocation, garbage included (V8's sampling heap profiler with the objects collected by
 * minor and major GCs kept), and writes `<ALLOC_PROFILE_DIR>/<pid>.heapprofile` when the process
 * exits. `--heap-prof` cannot do this: it keeps only what is still alive at exit, and what a
 * request costs the collector is exactly what is not.
 */
import { Session } from 'node:inspector';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

const dir = process.env.ALLOC_PROFILE_DIR;
if (dir) {
  const session = new Session();
  session.connect();
  // A same-thread session answers synchronously, so the exit handler below can still write.
  session.post('HeapProfiler.startSampling', {
    samplingInterval: 16_384,
    includeObjectsCollectedByMajorGC: true,
    includeObjectsCollectedByMinorGC: true,
  });
  process.on('exit', () => {
    session.post('HeapProfiler.stopSampling', (err, result) => {
      if (!err) writeFileSync(join(dir, `${process.pid}.heapprofile`), JSON.stringify(result.profile));
    });
  });
}
