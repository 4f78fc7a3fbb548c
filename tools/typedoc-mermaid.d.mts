// Types for tools/typedoc-mermaid.mjs, which the tests import.
import type { Application } from 'typedoc';

/** One diagram as a self-contained SVG element for an HTML page. */
export declare function renderDiagram(source: string): string;
/** The HTML that stands for one ```mermaid block on the site: the drawing, then its source. */
export declare function renderBlock(source: string): string;
/** Registers the plugin with TypeDoc. */
export declare function load(app: Application): void;
