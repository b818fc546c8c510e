// Whether a local service a test needs is up. Tests that need one skip with a message naming it when it is
// down, except under SLUICE_REQUIRE_SERVICES=1 (CI), where a missing service is a failure.
import { connect } from 'node:net';

/** The services on this machine's loopback, at their default ports (../shared/stack.md). */
export const SERVICES = {
  postgresql: { name: 'PostgreSQL', port: 5432 },
  nats: { name: 'NATS JetStream', port: 4222 },
} as const;

function portOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    socket.setTimeout(1000);
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('timeout', () => {
      socket.destroy();
      resolve(false);
    });
    socket.once('error', () => resolve(false));
  });
}

/**
 * Why the service cannot be used, or undefined when it is up. Pass the result as `skip` to test(). Under
 * SLUICE_REQUIRE_SERVICES=1 a missing service throws instead.
 */
export async function serviceMissing(service: keyof typeof SERVICES): Promise<string | undefined> {
  const { name, port } = SERVICES[service];
  if (await portOpen(port)) return undefined;
  const why = `${name} is not running on 127.0.0.1:${port} (scripts/ensure-services.sh starts it)`;
  if (process.env.SLUICE_REQUIRE_SERVICES === '1') throw new Error(`${why}, and SLUICE_REQUIRE_SERVICES=1 requires it`);
  return why;
}
