// Opens the cluster's work queue from the settings: the NATS connection (TLS and credentials as the NATS
// connectors take them) and the JetStream streams and consumer.
import type { NatsConnection } from '@nats-io/transport-node';
import { SluiceError } from '../errors.ts';
import type { SecretSource } from '../spec/component.ts';
import type { ClusterSettings } from '../cluster/cluster-settings.ts';
import type { WorkQueue } from '../cluster/work-queue.ts';
import type { Runtime } from './runtime-setup.ts';

export interface OpenQueue {
  queue: WorkQueue;
  settings: ClusterSettings;
  connection: NatsConnection;
  close(): Promise<void>;
}

/** The cluster settings, or a usage error that says how to configure them. */
export function clusterSettingsOf(runtime: Runtime): ClusterSettings {
  const cluster = runtime.settings.cluster;
  if (cluster === undefined) {
    throw new SluiceError('SLUICE_USAGE', 'cluster mode needs a cluster section in sluice.settings.yaml (cluster.nats.servers: the NATS JetStream work queue); see docs/cluster.md');
  }
  if (runtime.settings.state.store !== 'postgresql') {
    throw new SluiceError('SLUICE_USAGE', 'cluster mode needs the shared state store: set state.store: postgresql (and state.postgresql) in sluice.settings.yaml, the same for the coordinator and every worker');
  }
  return cluster;
}

export async function openWorkQueue(runtime: Runtime, settingsDir: string, secrets: SecretSource): Promise<OpenQueue> {
  const settings = clusterSettingsOf(runtime);
  // Loaded only in cluster mode.
  const [{ connectNats, closeNats }, { WorkQueue }] = await Promise.all([import('../connectors/nats/connect.ts'), import('../cluster/work-queue.ts')]);
  const connection = await connectNats(settings.nats, { baseDir: settingsDir, pipeline: 'cluster', secrets }, 'SLUICE_CLUSTER');
  try {
    const queue = await WorkQueue.open(connection, settings);
    return { queue, settings, connection, close: () => closeNats(connection) };
  } catch (error) {
    await closeNats(connection);
    throw error;
  }
}
