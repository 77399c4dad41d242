/**
 * A structural check of the Mermaid `stateDiagram-v2` subset that src/statecharts/mermaid.ts
 * writes, following the rules of Mermaid's own lexer (packages/mermaid/src/diagrams/state/parser/
 * stateDiagram.jison): one `stateDiagram-v2` header per document; an id is `[^:\n\s\-{]+` and may
 * not start with the `default` keyword (the lexer tries that rule first); a transition's
 * description runs from ` : ` to the end of the line but stops at a `:` or `;` (a second colon
 * starts a second description, which the grammar refuses); `#` starts a comment; composite states
 * balance their braces; a multi-line note ends with `end note`. No mermaid parser is installed
 * here, so this is the grammar the writer is held to.
 */
export interface ParsedDiagram {
  /** Every id declared (`state "…" as id`, `state id {`) or used in a transition or note. */
  ids: Set<string>;
  edges: Array<{ from: string; to: string; label: string | null }>;
  notes: Array<{ of: string; lines: string[] }>;
}

const ID = '[A-Za-z_][A-Za-z0-9_]*';
/** The lexer's first rule matches `default` anywhere an id could start (its keywords that need a following space cannot occur inside an id). */
const KEYWORDS = /^default/i;

export class MermaidGrammarError extends Error {}

function fail(line: number, text: string, why: string): never {
  throw new MermaidGrammarError(`line ${line + 1}: ${why}: ${JSON.stringify(text)}`);
}

/** Parses one document; throws `MermaidGrammarError` naming the first line Mermaid would refuse. */
export function parseStateDiagram(text: string): ParsedDiagram {
  const lines = text.replace(/\n+$/, '').split('\n');
  if (lines[0] !== 'stateDiagram-v2') fail(0, lines[0] ?? '', 'a document starts with `stateDiagram-v2`');
  const out: ParsedDiagram = { ids: new Set(), edges: [], notes: [] };
  const id = (n: number, raw: string, value: string): string => {
    if (value === '[*]') return value;
    if (!new RegExp(`^${ID}$`).test(value)) fail(n, raw, `\`${value}\` is not a plain id`);
    if (KEYWORDS.test(value)) fail(n, raw, `the id \`${value}\` starts with a keyword of the lexer`);
    out.ids.add(value);
    return value;
  };
  let depth = 0;
  let note: { of: string; lines: string[] } | null = null;
  for (let n = 1; n < lines.length; n++) {
    const raw = lines[n]!;
    const line = raw.trim();
    if (note) {
      if (line === 'end note') {
        out.notes.push(note);
        note = null;
      } else {
        if (/end note/.test(line)) fail(n, raw, '`end note` inside a note line ends the note early');
        note.lines.push(line);
      }
      continue;
    }
    if (line === '') continue;
    if (/^stateDiagram/.test(line)) fail(n, raw, 'a second diagram header: one document per diagram');
    if (/#/.test(line)) fail(n, raw, '`#` starts a comment');
    let m: RegExpExecArray | null;
    if (/^direction (LR|RL|TB|BT)$/.test(line)) continue;
    if (/direction\s+(LR|RL|TB|BT)/i.test(line)) fail(n, raw, 'the lexer reads any line holding `direction XY` as a direction statement');
    if ((m = /^state "([^"]+)" as (\S+)$/.exec(line))) id(n, raw, m[2]!);
    else if ((m = /^state (?:"([^"]+)" as )?(\S+) \{$/.exec(line))) (id(n, raw, m[2]!), depth++);
    else if (line === '}') {
      if (--depth < 0) fail(n, raw, 'a `}` closes no composite state');
    } else if ((m = /^(\S+) --> (\S+)(?: : (.*))?$/.exec(line))) {
      const label = m[3] ?? null;
      if (label !== null && (label.trim() === '' || /[:;]/.test(label))) fail(n, raw, 'a description is one run of text without `:` or `;`');
      out.edges.push({ from: id(n, raw, m[1]!), to: id(n, raw, m[2]!), label });
    } else if ((m = /^note (?:right|left) of (\S+)$/.exec(line))) note = { of: id(n, raw, m[1]!), lines: [] };
    else fail(n, raw, 'not a stateDiagram-v2 statement this writer produces');
  }
  if (note) fail(lines.length - 1, lines.at(-1) ?? '', 'a note is never closed with `end note`');
  if (depth !== 0) fail(lines.length - 1, lines.at(-1) ?? '', `${depth} composite state(s) left open`);
  return out;
}

/** The fenced code blocks of a Markdown text, with their info string; throws on an unclosed fence. */
export function fencedBlocks(markdown: string): Array<{ lang: string; body: string; outside: string[] }> {
  const blocks: Array<{ lang: string; body: string; outside: string[] }> = [];
  const lines = markdown.split('\n');
  let open: { lang: string; body: string[] } | null = null;
  let outside: string[] = [];
  for (const line of lines) {
    if (open) {
      if (line.trim() === '```') {
        blocks.push({ lang: open.lang, body: open.body.join('\n'), outside });
        open = null;
        outside = [];
      } else open.body.push(line);
    } else if (line.startsWith('```')) open = { lang: line.slice(3).trim(), body: [] };
    else outside.push(line);
  }
  if (open) throw new MermaidGrammarError(`a \`\`\`${open.lang} fence is never closed`);
  return blocks;
}
