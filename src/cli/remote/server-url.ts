// The --server URL a remote verb talks to, checked before anything is sent: HTTPS, or plain HTTP to loopback only.
import { SluiceError } from '../../errors.ts';
import { isLoopbackHost } from '../../connectors/loopback-host.ts';

/**
 * The server URL, checked: https://, or http:// to a loopback host (a server started with --insecure-dev); no
 * user name, password, query or fragment. Throws SLUICE_USAGE. The text is quoted only when it cannot hold a
 * password.
 */
export function serverUrl(text: string): URL {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new SluiceError('SLUICE_USAGE', '--server takes a URL such as https://sluice.example.com:8443');
  }
  if (url.username !== '' || url.password !== '') {
    throw new SluiceError('SLUICE_USAGE', '--server must not hold a user name or password: pass the credential with --credential env://NAME or file:///path (default: env://SLUICE_API_KEY)');
  }
  if (url.search !== '' || url.hash !== '') throw new SluiceError('SLUICE_USAGE', `--server takes the server's base URL without a query or fragment, such as ${url.origin}`);
  if (url.protocol === 'http:') {
    // Plain HTTP would carry the credential and the answers readable by anyone on the path.
    if (!isLoopbackHost(url.hostname)) throw new SluiceError('SLUICE_USAGE', `--server ${url.origin}: plain http:// is allowed only to a loopback host (a server started with --insecure-dev); use https://`);
  } else if (url.protocol !== 'https:') {
    throw new SluiceError('SLUICE_USAGE', `--server takes an https:// URL, not ${url.protocol}//`);
  }
  return url;
}
