/**
 * The HTML report as one self-contained file: the recorded run as a JSON block, the page's script
 * (pageScript.ts) and its styles (pageStyle.ts), all inline. Nothing is fetched: no CDN, no fonts,
 * no images, and the Content Security Policy says so (`default-src 'none'`), admitting the one
 * script by its hash.
 *
 * Escaping: the run's strings (record values, scenario texts, messages) are written only inside the
 * JSON block, with every `<` written as `\u003c`, so no string can close the block or open a tag;
 * the page then puts them into the document as text (pageScript.ts). The title is HTML-escaped.
 */
import { createHash } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import type { RecordedRun } from './recordedRun.js';
import { PAGE_SCRIPT } from './pageScript.js';
import { PAGE_STYLE } from './pageStyle.js';

export function renderHtmlReport(run: RecordedRun): string {
  const scriptHash = createHash('sha256').update(PAGE_SCRIPT).digest('base64');
  const policy = `default-src 'none'; script-src 'sha256-${scriptHash}'; style-src 'unsafe-inline'; img-src data:`;
  const title = `ksim · ${run.scenario.name} · seed ${run.seed} · ${run.verdict}`;
  return [
    '<!DOCTYPE html>',
    '<html lang="en">',
    '<head>',
    '<meta charset="utf-8">',
    `<meta http-equiv="Content-Security-Policy" content="${policy}">`,
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    `<title>${escapeHtml(title)}</title>`,
    `<style>${PAGE_STYLE}</style>`,
    '</head>',
    '<body>',
    '<div id="ksim-report"></div>',
    `<script type="application/json" id="ksim-data">${jsonForScriptBlock(run)}</script>`,
    `<script>${PAGE_SCRIPT}</script>`,
    '</body>',
    '</html>',
    '',
  ].join('\n');
}

/** Writes the report to `path`; returns its size in bytes. An I/O failure throws (exit 74 at the CLI). */
export function writeHtmlReport(run: RecordedRun, path: string): number {
  const html = renderHtmlReport(run);
  writeFileSync(path, html);
  return Buffer.byteLength(html);
}

/** JSON that cannot end its script block or start markup: every `<` (and the JS line separators) escaped. */
export function jsonForScriptBlock(value: unknown): string {
  return JSON.stringify(value).replace(/</g, '\\u003c').replace(/\u2028/g, '\\u2028').replace(/\u2029/g, '\\u2029');
}

export function escapeHtml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');
}
