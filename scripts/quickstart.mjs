// `npm run quickstart`: the classic case on one machine. Scaffolds quickstart-demo (a pipeline that fetches
// customers from an HTTPS API with a bearer token from the secret store), starts that demo API on a free
// loopback port, runs the pipeline, and stops the API. Exits with the run's exit code.
import { spawn, spawnSync } from 'node:child_process';
import { createServer } from 'node:net';
import { once } from 'node:events';
import { fileURLToPath, URL } from 'node:url';
import { join } from 'node:path';
import { clearTimeout, setTimeout } from 'node:timers';

const root = fileURLToPath(new URL('..', import.meta.url));
const bin = join(root, 'bin', 'sluice.js');
const demo = join(root, 'quickstart-demo');

/** A port that is free now: the OS picks it, we let it go and hand it to the demo API. */
async function freePort() {
  const server = createServer().listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address();
  server.close();
  await once(server, 'close');
  return port;
}

function sluice(args, cwd) {
  const result = spawnSync(process.execPath, [bin, ...args], { cwd, stdio: 'inherit' });
  return result.status ?? 1;
}

const port = await freePort();
const initialized = sluice(['init', '--force', '--demo-port', String(port), 'quickstart-demo'], root);
if (initialized !== 0) process.exit(initialized);

const api = spawn(process.execPath, [bin, 'demo-api', '--port', String(port)], { cwd: demo, stdio: ['ignore', 'pipe', 'inherit'] });
const ready = await new Promise((resolve) => {
  let text = '';
  const timer = setTimeout(() => resolve(false), 30_000);
  const onData = (chunk) => {
    text += chunk;
    if (text.includes('listening on')) {
      clearTimeout(timer);
      process.stdout.write(text);
      // From here on the API's lines go straight through.
      api.stdout.off('data', onData);
      api.stdout.pipe(process.stdout);
      resolve(true);
    }
  };
  api.stdout.on('data', onData);
  api.once('exit', () => resolve(false));
});
if (!ready) {
  console.error('quickstart: the demo API did not start (see its message above)');
  api.kill('SIGTERM');
  process.exit(1);
}
const status = sluice(['run'], demo);
api.kill('SIGTERM');
await once(api, 'exit');
process.exit(status);
