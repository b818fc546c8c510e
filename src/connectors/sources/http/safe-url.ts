// URLs as errors, logs and record refs show them: query values (an API key, a signed cursor) are left out.

/** The URL with each query value replaced by `…` and no credentials or fragment: safe for a message. */
export function displayUrl(url: URL): string {
  const names = [...url.searchParams.keys()];
  const query = names.length === 0 ? '' : `?${names.map((name) => `${encodeURIComponent(name)}=…`).join('&')}`;
  return `${url.origin}${url.pathname}${query}`;
}

/** The URL without query or fragment: where a record came from, as its ref starts. */
export function urlWithoutQuery(url: URL): string {
  return `${url.origin}${url.pathname}`;
}
