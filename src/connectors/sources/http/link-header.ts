// The RFC 8288 Link header: `<https://api.example.com/items?page=2>; rel="next", <...>; rel="last"`.

const TOKEN = /[!#$%&'*+.^_`|~0-9A-Za-z-]/;

/** The target of each link relation in a Link header (the first one wins), e.g. { next: '…', last: '…' }. */
export function parseLinkHeader(header: string | string[] | undefined): Record<string, string> {
  const text = Array.isArray(header) ? header.join(', ') : (header ?? '');
  const links: Record<string, string> = Object.create(null) as Record<string, string>;
  let i = 0;
  const skipSpace = () => {
    while (i < text.length && /[ \t]/.test(text[i] ?? '')) i++;
  };
  const token = (): string => {
    const start = i;
    while (i < text.length && TOKEN.test(text[i] ?? '')) i++;
    return text.slice(start, i);
  };
  /** A quoted-string (RFC 9110 §5.6.4), backslash escapes undone. */
  const quoted = (): string => {
    let out = '';
    for (i++; i < text.length && text[i] !== '"'; i++) out += text[i] === '\\' ? (text[++i] ?? '') : text[i];
    i++;
    return out;
  };
  while (i < text.length) {
    skipSpace();
    if (text[i] === ',') {
      i++;
      continue;
    }
    if (text[i] !== '<') return links; // malformed: keep what was read
    const close = text.indexOf('>', i);
    if (close < 0) return links;
    const target = text.slice(i + 1, close).trim();
    i = close + 1;
    let rel: string | undefined;
    for (skipSpace(); text[i] === ';'; skipSpace()) {
      i++;
      skipSpace();
      const name = token().toLowerCase();
      skipSpace();
      let value = '';
      if (text[i] === '=') {
        i++;
        skipSpace();
        value = text[i] === '"' ? quoted() : token();
      }
      // §3.3: a second rel parameter is ignored.
      if (name === 'rel' && rel === undefined) rel = value;
      if (name === '') return links;
    }
    // §3.3: rel holds one or more relation types, space-separated, compared case-insensitively.
    for (const type of (rel ?? '').toLowerCase().split(/\s+/)) if (type !== '' && !(type in links)) links[type] = target;
  }
  return links;
}
