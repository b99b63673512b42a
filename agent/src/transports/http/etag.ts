// Conditional GETs as RFC 9110 §13.1.2 defines If-None-Match: a list of entity tags or "*", compared weakly (W/"x"
// matches "x"), so caches and clients that send weak or several validators get their 304.

/** The opaque parts of the entity tags in an If-None-Match value, or '*' ; undefined when the value is malformed. */
export function parseIfNoneMatch(value: string): string[] | '*' | undefined {
  if (value.trim() === '*') return '*';
  const tags: string[] = [];
  // entity-tag = [ "W/" ] DQUOTE *etagc DQUOTE, where etagc may be any visible character but DQUOTE (commas included)
  const re = /\s*(?:W\/)?"([^"]*)"\s*(,|$)/y;
  let at = 0;
  while (at < value.length) {
    re.lastIndex = at;
    const m = re.exec(value);
    if (!m) return undefined;
    tags.push(m[1]);
    at = re.lastIndex;
    if (m[2] === '') break;
    while (value[at] === ',' || value[at] === ' ' || value[at] === '\t') at++; // empty list elements are allowed
  }
  return tags;
}

/** Whether a GET with this If-None-Match header gets 304 for a representation whose ETag is `etag` (weak comparison). */
export function notModified(header: string | string[] | undefined, etag: string): boolean {
  if (header === undefined) return false;
  const parsed = parseIfNoneMatch(Array.isArray(header) ? header.join(', ') : header);
  if (parsed === undefined) return false;
  if (parsed === '*') return true;
  const opaque = etag.replace(/^W\//, '').replace(/^"|"$/g, '');
  return parsed.includes(opaque);
}
