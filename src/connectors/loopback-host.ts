// Whether a host in a connector's options can only mean this machine: where plaintext is allowed as an
// explicit development opt-in, and nowhere else.
import { isIP } from 'node:net';

/**
 * True for `localhost` and its subdomains (RFC 6761 §6.3), 127.0.0.0/8 (RFC 1122 §3.2.1.3) and ::1 in any
 * spelling, with or without brackets or a trailing dot. Any other name may resolve across a network, so it is
 * not loopback, whatever it resolves to today.
 */
export function isLoopbackHost(host: string): boolean {
  const name = host.replace(/^\[|\]$/g, '').replace(/\.$/, '').toLowerCase();
  if (name === 'localhost' || name.endsWith('.localhost')) return true;
  const version = isIP(name);
  if (version === 4) return name.startsWith('127.');
  // The WHATWG URL parser writes every IPv6 address in its canonical, compressed form.
  return version === 6 && new URL(`http://[${name}]/`).hostname === '[::1]';
}
