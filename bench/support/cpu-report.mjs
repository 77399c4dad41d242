// Preloaded (`node --import`) into every server process a benchmark starts (the fast upstream, the
// minimal gateway, `switchboard serve`): answers { type: 'cpu' } on the IPC channel with the
// process's own process.cpuUsage() (user + system, µs), so CPU per request is read at µs
// resolution by the process that spends it. Without an IPC channel it does nothing.
if (typeof process.send === 'function') {
  process.on('message', (m) => {
    if (m?.type === 'cpu') {
      const c = process.cpuUsage();
      process.send({ type: 'cpu', id: m.id, cpuUs: c.user + c.system, userUs: c.user, systemUs: c.system });
    }
  });
  // The channel must not keep a server alive once it has closed.
  process.channel?.unref();
}
