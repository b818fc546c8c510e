// Kafka broker addresses (`host:port`): parsing them the way kafkajs does, and telling those on this machine
// from those across a network, which is what decides whether a connection may go without TLS.

export interface BrokerAddress {
  host: string;
  port: number;
}

/** A host name Kafka accepts: letters, digits, dots, hyphens and underscores (RFC 1123 plus `_`, which clusters use). */
const HOST_PATTERN = /^[A-Za-z0-9_](?:[A-Za-z0-9_.-]{0,251}[A-Za-z0-9_])?$/;

/** The address, or why it is not one. kafkajs splits on ':' itself, so IPv6 literals cannot be given. */
export function parseBroker(text: string): BrokerAddress | string {
  const colon = text.lastIndexOf(':');
  if (text.startsWith('[') || text.indexOf(':') !== colon) return `'${text}' is an IPv6 address, which the Kafka client cannot reach by literal; use a host name that resolves to it`;
  if (colon < 0) return `'${text}' has no port; write host:port, e.g. ${text}:9093`;
  const host = text.slice(0, colon);
  const portText = text.slice(colon + 1);
  if (!HOST_PATTERN.test(host)) return `'${host}' is not a host name or IPv4 address`;
  const port = /^[0-9]{1,5}$/.test(portText) ? Number(portText) : NaN;
  if (!(port >= 1 && port <= 65535)) return `'${portText}' is not a port (1 to 65535)`;
  return { host, port };
}

import { isLoopbackHost } from '../loopback-host.ts';
export { isLoopbackHost };
