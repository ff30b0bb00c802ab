// Just enough XML for Route53's request bodies (written by the AWS SDK: no DTDs, no CDATA,
// no mixed content that matters) and for building its responses.

export interface XmlElement {
  name: string;
  children: XmlElement[];
  text: string;
}

const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

function decodeEntities(s: string): string {
  return s.replace(/&(#x[0-9a-fA-F]+|#[0-9]+|[a-z]+);/g, (whole, body: string) => {
    if (body.startsWith('#x')) return String.fromCodePoint(parseInt(body.slice(2), 16));
    if (body.startsWith('#')) return String.fromCodePoint(parseInt(body.slice(1), 10));
    return ENTITIES[body] ?? whole;
  });
}

export function escapeXml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&${Object.keys(ENTITIES).find((k) => ENTITIES[k] === c)};`);
}

/** Parses a document into its root element. Throws on malformed input. */
export function parseXml(doc: string): XmlElement {
  let i = 0;
  const stack: XmlElement[] = [];
  let root: XmlElement | undefined;
  while (i < doc.length) {
    const lt = doc.indexOf('<', i);
    const text = doc.slice(i, lt === -1 ? doc.length : lt);
    if (stack.length > 0) stack[stack.length - 1].text += decodeEntities(text);
    else if (text.trim() !== '') throw new Error('text outside the root element');
    if (lt === -1) break;
    const gt = doc.indexOf('>', lt);
    if (gt === -1) throw new Error('unterminated tag');
    const tag = doc.slice(lt + 1, gt);
    i = gt + 1;
    if (tag.startsWith('?') || tag.startsWith('!')) continue;
    if (tag.startsWith('/')) {
      const open = stack.pop();
      if (!open || open.name !== tag.slice(1).trim()) throw new Error(`unexpected </${tag.slice(1)}>`);
      if (stack.length === 0) root = open;
      continue;
    }
    const selfClosing = tag.endsWith('/');
    const name = tag.replace(/\/$/, '').trim().split(/\s+/)[0];
    const el: XmlElement = { name, children: [], text: '' };
    if (stack.length > 0) stack[stack.length - 1].children.push(el);
    else if (root) throw new Error('two root elements');
    if (selfClosing) {
      if (stack.length === 0) root = el;
    } else stack.push(el);
  }
  if (stack.length > 0 || !root) throw new Error('unterminated document');
  return root;
}

export function child(el: XmlElement | undefined, name: string): XmlElement | undefined {
  return el?.children.find((c) => c.name === name);
}

export function childText(el: XmlElement | undefined, name: string): string | undefined {
  return child(el, name)?.text;
}

export function childrenNamed(el: XmlElement | undefined, name: string): XmlElement[] {
  return el ? el.children.filter((c) => c.name === name) : [];
}

/** A node of a response document: an element with text, children, or nothing. */
export type XmlNode = [name: string, content?: string | number | boolean | XmlNode[]];

export function renderXml(node: XmlNode, withNamespace = true): string {
  const ns = withNamespace ? ' xmlns="https://route53.amazonaws.com/doc/2013-04-01/"' : '';
  const body = render(node, ns);
  return `<?xml version="1.0" encoding="UTF-8"?>\n${body}`;
}

function render([name, content]: XmlNode, attrs = ''): string {
  if (content === undefined) return `<${name}${attrs}/>`;
  if (Array.isArray(content)) return `<${name}${attrs}>${content.map((c) => render(c)).join('')}</${name}>`;
  return `<${name}${attrs}>${escapeXml(String(content))}</${name}>`;
}
