// libuv's thread pool runs the journals' writes and fdatasyncs (and every other asynchronous file operation). Its default
// of 4 threads is what four syncs in flight take, so a journal's next write waited for a sync to end and the group
// commit's pipelining was lost: 16 threads, mostly blocked on the disk, cost little. Set before anything uses the pool
// (this module is main.ts's first import); UV_THREADPOOL_SIZE in the environment still wins.
process.env.UV_THREADPOOL_SIZE ??= '16';
