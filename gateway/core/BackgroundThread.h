#pragma once

namespace gh {

// For a thread whose work is never urgent while the proxy threads have requests to serve (the
// recording segments' helper, the store's writer): 5 nice levels below the thread that starts it,
// and on kernels with EEVDF custom slices (Linux 6.12 and later) the shortest slice, so the
// scheduler hands the CPU on sooner once others wait. Names the thread too (as top -H and perf
// show it). What kept the proxies' slowest requests waiting, though, was long work in the kernel
// (faulting in a segment, reading one back): a kernel built without preemption leaves the CPU to
// it until it sleeps or the next timer tick (4 ms at 250 Hz), whatever its priority. Such work is
// done in pieces, with backgroundYield() between them.
void markBackgroundThread(const char *name);

// Inside a background thread's long pieces of work (faulting in a segment, reading one, indexing
// its records): lets any thread that waits for the CPU have it, at most every 200 us, and is a
// clock read otherwise. On any other thread (a proxy thread making its own segment) it does
// nothing: there the work is what the waiting requests need done.
void backgroundYield();
// How many times this thread gave the CPU away in backgroundYield().
int backgroundYields();

} // namespace gh
