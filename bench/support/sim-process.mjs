// Starts the simulator in a child process and talks to it over IPC (stats, reset, configure).
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const script = fileURLToPath(new URL('./sim-server.mjs', import.meta.url));

export async function startSimProcess(config = {}) {
  const child = fork(script, [JSON.stringify(config)], { stdio: ['pipe', 'pipe', 'inherit', 'ipc'] });
  const ready = await new Promise((resolve, reject) => {
    let buf = '';
    child.stdout.on('data', (d) => {
      buf += d;
      const nl = buf.indexOf('\n');
      if (nl >= 0) resolve(JSON.parse(buf.slice(0, nl)));
    });
    child.once('exit', (code) => reject(new Error(`simulator exited with ${code}`)));
  });
  const ask = (type, extra = {}) =>
    new Promise((resolve) => {
      const on = (m) => {
        if (m?.type === type) {
          child.off('message', on);
          resolve(m);
        }
      };
      child.on('message', on);
      child.send({ type, ...extra });
    });
  return {
    ...ready,
    pid: child.pid,
    stats: async () => (await ask('stats')).stats,
    reset: () => ask('reset'),
    configure: (config) => ask('configure', { config }),
    stop: () =>
      new Promise((resolve) => {
        child.once('exit', resolve);
        child.kill('SIGTERM');
      }),
  };
}
