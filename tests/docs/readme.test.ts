// @vitest-environment node
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../../', import.meta.url));
const ELISION = '// …';

/** The README's code blocks that name the example file they come from on their first line. */
async function excerpts(): Promise<{ file: string; code: string }[]> {
  const readme = await readFile(`${root}README.md`, 'utf8');
  const blocks = [...readme.matchAll(/```[a-z]*\n([\s\S]*?)```/g)].map((match) => match[1] as string);
  return blocks.flatMap((block) => {
    const [first, ...rest] = block.split('\n');
    const file = /^\/\/ (examples\/\S+)$/.exec(first ?? '')?.[1];
    return file ? [{ file, code: rest.join('\n') }] : [];
  });
}

/** Lines as compared: without indentation, blank lines or a trailing `;` (the formatter re-indents excerpts). */
const lines = (text: string) =>
  text
    .split('\n')
    .map((line) => line.trim().replace(/;$/, ''))
    .filter((line) => line !== '');

/** The parts of `code` (split at `// …` lines) that `source` does not hold, in order. */
function missing(code: string, source: string): string[] {
  const parts = code
    .split(new RegExp(`^\\s*${ELISION}\\s*$`, 'm'))
    .map(lines)
    .filter((part) => part.length > 0);
  const have = lines(source);
  const gaps: string[] = [];
  let from = 0;
  for (const part of parts) {
    let at = -1;
    for (let i = from; i + part.length <= have.length && at === -1; i++) {
      if (part.every((line, j) => have[i + j] === line)) at = i;
    }
    if (at === -1) gaps.push(part.join('\n'));
    else from = at + part.length;
  }
  return gaps;
}

describe("the README's Next.js section", () => {
  it('shows only code that the example runs, as the example has it', async () => {
    const found = await excerpts();
    const files = new Set(found.map((excerpt) => excerpt.file));
    for (const file of [
      'examples/nextjs/app/api/[...path]/route.ts',
      'examples/nextjs/lib/portal.ts',
      'examples/nextjs/app/licenses/Licenses.tsx',
      'examples/nextjs/app/licenses/[id]/page.tsx',
      'examples/nextjs/app/licenses/[id]/ServerRenderedLicense.tsx',
    ]) {
      expect(files).toContain(file);
    }
    for (const { file, code } of found) {
      const source = await readFile(`${root}${file}`, 'utf8');
      expect({ file, missing: missing(code, source) }).toEqual({ file, missing: [] });
    }
  });

  it('notices an excerpt the example does not have', () => {
    const source = 'const a = 1;\nconst b = 2;\n';
    expect(missing('const a = 1;\n// …\nconst b = 2;', source)).toEqual([]);
    expect(missing('const b = 2;\n// …\nconst a = 1;', source)).toEqual(['const a = 1']);
    expect(missing('const c = 3;', source)).toEqual(['const c = 3']);
  });
});
