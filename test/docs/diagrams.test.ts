/**
 * The diagrams: every ```mermaid block of the Markdown the API site renders
 * (README.md, ARCHITECTURE.md, CLI.md). GitHub draws them itself; the API
 * site draws them with tools/typedoc-mermaid.mjs (a TypeDoc plugin, run by
 * `npm run docs`), at build time and with no network. These tests hold:
 * - each drawing has exactly the states, nodes and arrows of its source, and
 *   loads nothing from outside;
 * - the lifecycle diagram is the core's: its states are the statuses of
 *   `PollStatus`, and its arrows are exactly the status changes a flow makes
 *   (test/readme.test.ts checks, for random flows, that a flow takes no
 *   arrow the diagram lacks; here every arrow it draws must be taken).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import type { Application } from 'typedoc';
import { createConfig, initialState, transition, type PollStatus } from '../../src/core/index.js';
import type { StateChangeEvent } from '../../src/index.js';
import { simulateFlow } from '../../src/testing.js';
import { deviceFlowArbitraries } from '../../src/testing-arbitraries.js';
import { load, renderBlock, renderDiagram } from '../../tools/typedoc-mermaid.mjs';

const root = join(import.meta.dirname, '..', '..');
const DOCUMENTS = ['README.md', 'ARCHITECTURE.md', 'CLI.md', 'ERRORS.md'];

/** Every status, once: the compiler fails this file if `PollStatus` gains or loses one. */
const STATUSES = { idle: true, pending: true, 'slow-down': true, retrying: true, granted: true, denied: true, expired: true, failed: true, cancelled: true } as const satisfies Record<PollStatus, true>;

/** The composite state that stands for the three active statuses. */
const ACTIVE = ['pending', 'slow-down', 'retrying'] as const;

describe('the diagrams of the docs', () => {
  const blocks = DOCUMENTS.flatMap((file) => [...readFileSync(join(root, file), 'utf8').matchAll(/^```mermaid\n([\s\S]*?)^```/gm)].map((m, index) => ({ id: `${file}, diagram ${index + 1}`, source: m[1]! })));

  test('should be found: the lifecycle, one poll and the login machine', () => {
    expect(blocks.map((b) => b.id)).toEqual(expect.arrayContaining(['README.md, diagram 1', 'ARCHITECTURE.md, diagram 1', 'ARCHITECTURE.md, diagram 2']));
  });

  test.each(blocks.map((b) => [b.id, b] as const))('should draw the states and arrows of its source, and load nothing: %s', (_, { source }) => {
    const svg = renderDiagram(source);
    const drawn = readSvg(svg);
    const written = parseMermaid(source);
    expect(drawn.nodes).toEqual(written.nodes);
    expect(drawn.edges).toEqual(written.edges);
    // Nothing from outside: no web font, no image; the only URL is the SVG namespace.
    expect([...svg.matchAll(/https?:\/\/[^\s"')]+/g)].map((m) => m[0])).toEqual(['http://www.w3.org/2000/svg']);
    // Its ids are its own, so two drawings on one page do not share a marker.
    const ids = [...svg.matchAll(/\sid="([^"]+)"/g)].map((m) => m[1]!);
    const [own] = ids;
    expect(own).toMatch(/^mermaid-[0-9a-f]{10}$/);
    expect(ids.every((id) => id === own || id.startsWith(`${own}-`))).toBe(true);
    expect([...svg.matchAll(/url\(#([^)]+)\)/g)].every((m) => ids.includes(m[1]!))).toBe(true);
  });

  test('should draw the lifecycle with exactly the core statuses', () => {
    const { nodes } = parseMermaid(lifecycle());
    const states = nodes.filter((n) => n.kind === 'state').map((n) => n.label);
    expect(states.sort()).toEqual(Object.keys(STATUSES).sort());
    expect(nodes.filter((n) => n.kind === 'group').map((n) => n.label)).toEqual(['active']);
  });

  test('should draw exactly the status changes a flow makes', () => {
    // Every status change the core makes over many flows: random answers, faults and cancels, plus a cancel before the start.
    const taken = new Set<string>(ACTIVE.map((s) => `${s} -> ${s}`)); // the self-loops, which the text beside the diagram states
    const config = createConfig({ interval: 5, expiresIn: 120, transientRetries: 3 });
    const cancelled = transition(initialState, { type: 'cancel', now: 0, reason: 'before start' }, config);
    taken.add(`idle -> ${cancelled.state.status}`);
    const { outcome } = deviceFlowArbitraries(fc);
    const flows = fc.sample(fc.tuple(fc.array(outcome, { minLength: 1, maxLength: 30 }), fc.option(fc.integer({ min: 0, max: 200_000 }), { nil: undefined })), { numRuns: 3000, seed: 8628 });
    for (const [script, cancelAt] of flows) {
      const { events } = simulateFlow({ config, script, collectEvents: true, ...(cancelAt === undefined ? {} : { cancelAt }) });
      for (const event of events) {
        if (event.name !== 'stateChange') continue;
        const { from, to } = event.payload as StateChangeEvent;
        taken.add(`${from} -> ${to}`);
      }
    }
    expect([...taken].sort()).toEqual(lifecycleEdges().sort());
  });
});

describe('the TypeDoc plugin', () => {
  /** Loads the plugin into a stand-in for TypeDoc, and hands back what it registered. */
  function loadPlugin(): { parse: (html: string) => string; errors: string[] } {
    let listener: ((event: { parsedText: string; page: { url: string } }) => void) | undefined;
    const errors: string[] = [];
    const app = { renderer: { on: (_name: string, fn: typeof listener) => (listener = fn) }, logger: { error: (message: string) => errors.push(message) } };
    load(app as unknown as Application);
    return {
      parse: (html) => {
        const event = { parsedText: html, page: { url: 'index.html' } };
        listener!(event);
        return event.parsedText;
      },
      errors,
    };
  }

  test('should replace a mermaid block, as TypeDoc writes it, with its drawing and source', () => {
    const { parse, errors } = loadPlugin();
    const source = 'stateDiagram-v2\n    [*] --> idle\n    idle --> pending: start\n';
    const html = `<p>before</p>\n<pre><code class="mermaid">${source.replaceAll('>', '&gt;')}</code><button type="button">Copy</button></pre>\n<p>after</p>`;
    expect(parse(html)).toBe(`<p>before</p>\n${renderBlock(source)}\n<p>after</p>`);
    expect(errors).toEqual([]);
  });

  test('should leave other code alone', () => {
    const { parse } = loadPlugin();
    const html = '<pre><code class="ts">const a = 1;</code><button type="button">Copy</button></pre>';
    expect(parse(html)).toBe(html);
  });

  test('should report a block it cannot draw as an error, which fails the build', () => {
    const { parse, errors } = loadPlugin();
    const html = '<pre><code class="mermaid">not a diagram</code><button type="button">Copy</button></pre>';
    expect(parse(html)).toBe(html);
    expect(errors).toEqual([expect.stringContaining('did not render')]);
  });
});

// Helpers

interface Drawing {
  /** Each node: a state, a start or end point, a group (composite state); sorted. */
  readonly nodes: ReadonlyArray<{ readonly kind: 'state' | 'point' | 'group'; readonly id: string; readonly label: string }>;
  /** Each arrow as `from -> to: label` (start and end points as `[*]`), sorted. */
  readonly edges: readonly string[];
}

/** The README's lifecycle diagram. */
function lifecycle(): string {
  return /```mermaid\n(stateDiagram-v2[\s\S]*?)```/.exec(readFileSync(join(root, 'README.md'), 'utf8'))![1]!;
}

/** The lifecycle's arrows between statuses, with `active` standing for its three statuses, and without start and end points. */
function lifecycleEdges(): string[] {
  const { nodes, edges } = parseMermaid(lifecycle());
  const label = new Map(nodes.map((n) => [n.id, n.label]));
  const expand = (id: string, as: 'from' | 'to'): string[] => (id === 'active' ? (as === 'from' ? [...ACTIVE] : ['pending']) : [label.get(id) ?? id]);
  const result = new Set<string>(ACTIVE.map((s) => `${s} -> ${s}`));
  for (const edge of edges) {
    const [, from, to] = /^(\S+) -> ([^:\s]+):/.exec(edge)!;
    if (from === '[*]' || to === '[*]') continue;
    for (const f of expand(from!, 'from')) for (const t of expand(to!, 'to')) result.add(`${f} -> ${t}`);
  }
  return [...result];
}

/** The nodes and arrows an SVG from beautiful-mermaid draws, read from its data attributes. */
function readSvg(svg: string): Drawing {
  const point = (id: string): string => (/^_(start|end)\d*$/.test(id) ? '[*]' : id);
  const nodes = [...svg.matchAll(/<g class="(node|subgraph)" data-id="([^"]*)" data-label="([^"]*)"(?: data-shape="([^"]*)")?/g)].map(([, cls, id, label, shape]) => ({
    kind: cls === 'subgraph' ? ('group' as const) : shape === 'state-start' || shape === 'state-end' ? ('point' as const) : ('state' as const),
    id: point(unescapeXml(id!)),
    label: unescapeXml(label!),
  }));
  const attribute = (tag: string, name: string): string => unescapeXml(new RegExp(`\\s${name}="([^"]*)"`).exec(tag)?.[1] ?? '');
  const edges = [...svg.matchAll(/<polyline class="edge"[^>]*>/g)].map(([tag]) => `${point(attribute(tag, 'data-from'))} -> ${point(attribute(tag, 'data-to'))}: ${attribute(tag, 'data-label')}`);
  return { nodes: sortNodes(nodes), edges: edges.sort() };
}

/**
 * The nodes and arrows a Mermaid source writes, for the two kinds the docs use:
 * `stateDiagram-v2` (states, `state "label" as id`, composite `state id { }`,
 * `[*]`) and `flowchart` (`A[label] -->|label| B[label]`).
 */
function parseMermaid(source: string): Drawing {
  const lines = source.split('\n').map((line) => line.trim()).filter((line) => line !== '' && !line.startsWith('%%'));
  const [header, ...body] = lines;
  const nodes = new Map<string, { kind: 'state' | 'point' | 'group'; id: string; label: string }>();
  const edges: string[] = [];
  const node = (id: string, label?: string): string => {
    if (id === '[*]') nodes.set(`[*]${nodes.size}`, { kind: 'point', id: '[*]', label: '' });
    else if (label !== undefined || !nodes.has(id)) nodes.set(id, { kind: nodes.get(id)?.kind ?? 'state', id, label: label ?? nodes.get(id)?.label ?? id });
    return id;
  };
  if (header!.startsWith('stateDiagram')) {
    for (const line of body) {
      let m: RegExpExecArray | null;
      if (/^direction \w+$/.test(line) || line === '}') continue;
      if ((m = /^state "([^"]+)" as (\w+)$/.exec(line))) node(m[2]!, m[1]!);
      else if ((m = /^state (\w+) \{$/.exec(line))) nodes.set(m[1]!, { kind: 'group', id: m[1]!, label: m[1]! });
      else if ((m = /^(\[\*\]|\w+) --> (\[\*\]|\w+)(?:\s*:\s*(.*))?$/.exec(line))) edges.push(`${node(m[1]!)} -> ${node(m[2]!)}: ${m[3] ?? ''}`);
      else throw new Error(`parseMermaid: a state diagram line it does not know: ${line}`);
    }
  } else if (header!.startsWith('flowchart') || header!.startsWith('graph')) {
    const ref = String.raw`(\w+)(?:\[("?)(.*?)\2\])?`;
    const arrow = new RegExp(String.raw`^${ref}\s*-->(?:\|([^|]*)\|)?\s*${ref.replace('\\2', '\\6')}$`);
    for (const line of body) {
      const m = arrow.exec(line);
      if (m === null) throw new Error(`parseMermaid: a flowchart line it does not know: ${line}`);
      const text = (label: string | undefined): string | undefined => label?.replaceAll(/<br\s*\/?>/g, '\n');
      edges.push(`${node(m[1]!, text(m[3]))} -> ${node(m[5]!, text(m[7]))}: ${m[4] ?? ''}`);
    }
  } else {
    throw new Error(`parseMermaid: a diagram kind it does not know: ${header}`);
  }
  return { nodes: sortNodes([...nodes.values()]), edges: edges.sort() };
}

function sortNodes<T extends { kind: string; id: string; label: string }>(nodes: T[]): T[] {
  return nodes.sort((a, b) => `${a.kind} ${a.id} ${a.label}`.localeCompare(`${b.kind} ${b.id} ${b.label}`));
}

function unescapeXml(text: string): string {
  return text
    .replaceAll('&lt;', '<')
    .replaceAll('&gt;', '>')
    .replaceAll('&quot;', '"')
    .replaceAll('&#39;', "'")
    .replaceAll('&amp;', '&');
}
