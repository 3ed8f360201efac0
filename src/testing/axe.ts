import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { Page } from 'playwright-core';

/**
 * Runs axe-core (the accessibility rules engine browsers' own audits use) in a page and returns its WCAG 2.1
 * A/AA violations as short lines (`rule: target (impact)`), for a test to expect `[]`. The script is evaluated
 * through the DevTools protocol, which the page's CSP (`script-src 'self'`) does not govern; nothing is
 * injected into the served page.
 */
const source = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

export async function axeViolations(page: Page, options: { include?: string; disable?: readonly string[] } = {}): Promise<string[]> {
  // Colours measured mid-transition (a dialog fading in over its overlay) are neither the start nor the end
  // state: wait for every finite animation and CSS transition to finish first (spinners run for ever).
  await page.evaluate(async () => {
    await new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(resolve)));
    const finite = document.getAnimations().filter((a) => a.effect?.getComputedTiming().endTime !== Infinity);
    await Promise.all(finite.map((a) => a.finished.catch(() => undefined)));
  });
  if (!(await page.evaluate(() => 'axe' in window))) await page.evaluate(source);
  return page.evaluate(
    async ({ include, disable }) => {
      const axe = (window as unknown as { axe: { run(ctx: unknown, opts: unknown): Promise<{ violations: { id: string; impact: string; nodes: { target: string[] }[] }[] }> } }).axe;
      const result = await axe.run(include ? { include: [include] } : document, {
        runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] },
        rules: Object.fromEntries(disable.map((id) => [id, { enabled: false }])),
        resultTypes: ['violations'],
      });
      return result.violations.flatMap((v) =>
        v.nodes.map((n) => {
          const data = (n as { any?: { data?: { fgColor?: string; bgColor?: string; contrastRatio?: number } }[] }).any?.[0]?.data;
          const colours = data?.fgColor ? ` ${data.fgColor} on ${data.bgColor} = ${data.contrastRatio}` : '';
          return `${v.id}: ${n.target.join(' ')} (${v.impact})${colours}`;
        }),
      );
    },
    { include: options.include ?? null, disable: [...(options.disable ?? [])] },
  );
}
