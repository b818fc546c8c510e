// A source's egress policy: the hosts it may contact (an allowlist) and the private addresses it was
// explicitly allowed to reach despite the SSRF guard. Every URL and every resolved address passes through it.
import { BlockList, isIP } from 'node:net';
import { SluiceError } from '../../../errors.ts';
import { deniedAddressReason, embeddedIpv4 } from './egress-guard.ts';

/** One allowlist entry, normalized: a host name or IP literal (as URL.hostname spells it), a port or any. */
interface HostRule {
  host: string;
  /** `*.example.com`: any subdomain of host, not host itself. */
  subdomains: boolean;
  port?: string;
}

/** `host`, `host:port`, `[v6]:port` or `*.domain` as a rule, or a reason it is not one. */
export function parseHostRule(entry: string): HostRule | string {
  const subdomains = entry.startsWith('*.');
  let url: URL;
  try {
    url = new URL(`https://${subdomains ? entry.slice(2) : entry}`);
  } catch {
    return `'${entry}' is not a host name, an IP address or host:port`;
  }
  if (url.username !== '' || url.password !== '' || url.pathname !== '/' || url.search !== '' || url.hash !== '') {
    return `'${entry}' must be a host or host:port only (no scheme, path or credentials)`;
  }
  if (subdomains && isIP(url.hostname) !== 0) return `'${entry}': a wildcard applies to domain names, not IP addresses`;
  // URL drops a default port (":443"), but an entry that names it means that port only.
  const port = url.port !== '' ? url.port : /:\d+$/.test(entry) ? '443' : undefined;
  return { host: bareHost(url.hostname), subdomains, ...(port !== undefined ? { port } : {}) };
}

/** An IP literal, a single address or a CIDR range (10.0.0.0/8, fd00::/8), as an opt-in; or why it is not one. */
export function parseAddressRule(entry: string): { address: string; prefix: number; family: 'ipv4' | 'ipv6' } | string {
  const [address = '', prefixText, extra] = entry.split('/');
  const version = isIP(address);
  const bits = version === 4 ? 32 : 128;
  const prefix = prefixText === undefined ? bits : /^\d{1,3}$/.test(prefixText) ? Number(prefixText) : NaN;
  if (version === 0 || extra !== undefined || !(prefix >= 0 && prefix <= bits)) {
    return `'${entry}' is not an IP address or a CIDR range such as 127.0.0.1 or 10.0.0.0/8`;
  }
  return { address, prefix, family: version === 4 ? 'ipv4' : 'ipv6' };
}

/** URL.hostname without IPv6 brackets and without a trailing dot (api.example.com. is api.example.com). */
function bareHost(hostname: string): string {
  return hostname.replace(/^\[(.*)\]$/, '$1').replace(/\.$/, '');
}

export interface EgressPolicyOptions {
  /** Allowlist entries (host, host:port, *.domain). */
  hosts: readonly string[];
  /** Private addresses or ranges the source may reach (the explicit opt-in past the SSRF guard). */
  allowPrivateAddresses?: readonly string[];
}

/** What the source may contact. Both checks throw SLUICE_EGRESS_DENIED with what to change in the spec. */
export class EgressPolicy {
  readonly #rules: HostRule[] = [];
  readonly #private = new BlockList();
  readonly #privateEntries: string[];

  constructor(options: EgressPolicyOptions) {
    for (const entry of options.hosts) {
      const rule = parseHostRule(entry);
      if (typeof rule === 'string') throw new SluiceError('SLUICE_SPEC_INVALID', `http source allow: ${rule}`);
      this.#rules.push(rule);
    }
    this.#privateEntries = [...(options.allowPrivateAddresses ?? [])];
    for (const entry of this.#privateEntries) {
      const rule = parseAddressRule(entry);
      if (typeof rule === 'string') throw new SluiceError('SLUICE_SPEC_INVALID', `http source allowPrivateAddresses: ${rule}`);
      this.#private.addSubnet(rule.address, rule.prefix, rule.family);
    }
  }

  /**
   * Refuses a URL that is not https or whose host (and port) is not on the allowlist. `where` names it in the
   * message, e.g. "https://api.example.com/items (page 2)".
   */
  checkUrl(url: URL, where: string): void {
    if (url.protocol !== 'https:') {
      throw new SluiceError('SLUICE_EGRESS_DENIED', `${where} is not https; the http source never sends a request in clear text`);
    }
    const host = bareHost(url.hostname);
    const port = url.port === '' ? '443' : url.port;
    const allowed = this.#rules.some((rule) => {
      const hostMatches = rule.subdomains ? host.endsWith(`.${rule.host}`) : host === rule.host;
      return hostMatches && (rule.port === undefined || rule.port === port);
    });
    if (!allowed) {
      throw new SluiceError('SLUICE_EGRESS_DENIED', `${where} is off the source's egress allowlist; if the source should reach ${host}:${port}, add it to allow`);
    }
  }

  /**
   * Refuses an address the SSRF guard denies, unless allowPrivateAddresses opts into it. `host` is the name
   * that resolved to it (the same as `address` for an IP literal), for the message.
   */
  checkAddress(host: string, address: string): void {
    const reason = deniedAddressReason(address);
    if (reason === undefined || this.#optedIn(address)) return;
    const what = bareHost(host) === address ? `${address} is` : `${bareHost(host)} resolves to ${address},`;
    throw new SluiceError(
      'SLUICE_EGRESS_DENIED',
      `${what} a ${reason} address, which the http source does not connect to (SSRF guard); ` +
        `if this service really lives there, list the address in the source's allowPrivateAddresses`,
    );
  }

  #optedIn(address: string): boolean {
    if (this.#privateEntries.length === 0) return false;
    const bare = address.replace(/%.*$/, '');
    const family = isIP(bare) === 4 ? 'ipv4' : 'ipv6';
    if (this.#private.check(bare, family)) return true;
    // ::ffff:127.0.0.1 is 127.0.0.1 on the wire: an opt-in for the one is an opt-in for the other.
    const mapped = embeddedIpv4(bare);
    return mapped?.form === 'IPv4-mapped IPv6' && this.#private.check(mapped.ipv4, 'ipv4');
  }
}
