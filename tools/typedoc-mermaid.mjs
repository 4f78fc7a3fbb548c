// A TypeDoc plugin (typedoc.json "plugin"): every ```mermaid block of a page
// the API site renders (the README, ARCHITECTURE.md, a TSDoc comment) becomes
// an inline SVG drawn at build time by beautiful-mermaid, a pure-JS renderer:
// no browser, no CDN, no network, in CI or in the reader's browser. GitHub
// draws the same blocks itself, so the Markdown stays the one source.
//
// The drawing follows the site's colours (light and dark) through TypeDoc's
// CSS variables, scales to the column (scrolling sideways past half size),
// and keeps its source in a <details> under it. A block that does not render
// is an error, which fails `npm run docs`. test/docs/diagrams.test.ts checks
// that each drawing has exactly the states and arrows of its source.
import { createHash } from 'node:crypto';
import { renderMermaidSVG } from 'beautiful-mermaid';
import { MarkdownEvent } from 'typedoc';

/** A ```mermaid block as TypeDoc's Markdown renderer writes it, with its Copy button. */
const BLOCK = /<pre><code class="mermaid">([\s\S]*?)<\/code>[\s\S]*?<\/pre>/g;

/** The smallest a drawing may shrink to fit the column, as a share of its size; past it, it scrolls. */
const MIN_SCALE = 0.8;

/**
 * One diagram as a self-contained SVG element for an HTML page.
 * @param {string} source the Mermaid text
 * @returns {string} the `<svg>` element
 */
export function renderDiagram(source) {
  const id = `mermaid-${createHash('sha256').update(source).digest('hex').slice(0, 10)}`;
  let svg = renderMermaidSVG(source, { bg: 'var(--color-background, #ffffff)', fg: 'var(--color-text, #222222)', font: 'system-ui' });
  // No web font: the renderer imports one from a CDN; the page's own stack is used instead.
  svg = svg.replace(/^\s*@import url\([^)]*\);\s*$/gm, '');
  // Its style sheet would apply to the whole page: scope it to this drawing.
  svg = svg.replace(/^(\s*)text \{/m, `$1#${id} text {`).replace(/^(\s*)svg \{/m, `$1#${id} {`);
  // Marker ids are the same in every drawing: make them this drawing's own.
  const ids = new Set([...svg.matchAll(/(?<=\sid=")[^"]+/g)].map(([name]) => name));
  svg = svg.replace(/(?<=\sid=")[^"]+/g, (name) => `${id}-${name}`).replace(/(?<=url\(#)[^)]+/g, (name) => (ids.has(name) ? `${id}-${name}` : name));
  // Fit the column: the drawing scales down to MIN_SCALE, then its container scrolls.
  const width = Number(/<svg[^>]*\bwidth="([\d.]+)"/.exec(svg)?.[1] ?? 0);
  const title = source.trim().split('\n')[0] ?? 'diagram';
  svg = svg.replace(
    /^<svg ([^>]*?)width="[\d.]+" height="[\d.]+" style="/,
    `<svg id="${id}" role="img" aria-label="${escapeHtml(`A ${title.replace(/-v2$/, '')} diagram; its Mermaid source follows`)}" $1width="100%" style="display:block;max-width:${Math.ceil(width)}px;min-width:${Math.ceil(width * MIN_SCALE)}px;height:auto;`,
  );
  if (!svg.startsWith(`<svg id="${id}"`)) throw new Error('the renderer wrote an <svg> of an unexpected shape');
  return svg;
}

/**
 * The HTML that stands for one ```mermaid block on the site: the drawing, then its source.
 * @param {string} source the Mermaid text
 * @returns {string} HTML
 */
export function renderBlock(source) {
  return `<figure class="tokenpoll-diagram" style="margin:1em 0;overflow-x:auto">${renderDiagram(source)}<details><summary>Mermaid source</summary><pre><code>${escapeHtml(source)}</code></pre></details></figure>`;
}

/**
 * Registers the plugin with TypeDoc.
 * @param {import('typedoc').Application} app
 */
export function load(app) {
  // After TypeDoc's own Markdown handler (priority 0), so the text is HTML by then.
  app.renderer.on(
    MarkdownEvent.PARSE,
    (event) => {
      event.parsedText = event.parsedText.replace(BLOCK, (block, escaped) => {
        try {
          return renderBlock(unescapeHtml(escaped));
        } catch (error) {
          app.logger.error(`typedoc-mermaid: a diagram on ${event.page.url} did not render: ${error instanceof Error ? error.message : String(error)}`);
          return block;
        }
      });
    },
    -100,
  );
}

/** @param {string} text */
function escapeHtml(text) {
  return text.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;').replaceAll('"', '&quot;').replaceAll("'", '&#39;');
}

/** @param {string} html */
function unescapeHtml(html) {
  return html
    .replaceAll('&lt;', '<')
    .replaceAll('&gt;', '>')
    .replaceAll('&quot;', '"')
    .replaceAll('&#39;', "'")
    .replaceAll('&#x27;', "'")
    .replaceAll('&amp;', '&');
}
