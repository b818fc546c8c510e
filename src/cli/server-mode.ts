// How `sluice serve` last started, noted in the state folder so that `sluice check` can report an insecure mode.

export const SERVER_MODE_FILE = 'server-mode.json';

export interface ServerMode {
  insecureDev: boolean;
  listen: string;
  startedAt: string;
}
