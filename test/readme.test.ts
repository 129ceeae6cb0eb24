import { readFileSync } from 'node:fs';
import { configVariables } from '../src/config.js';
import { ErrorCodes } from '../src/errors.js';

// The README and .env.example document every variable and code the code defines: these lists
// are the source of truth, so a new one without documentation fails here.
const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
const envExample = readFileSync(new URL('../.env.example', import.meta.url), 'utf8');

/** The first cells of the rows of the Markdown table under `heading`. */
function tableKeys(heading: string): string[] {
  const section = readme.split(`## ${heading}`)[1]?.split('\n## ')[0] ?? '';
  return [...section.matchAll(/^\| `([A-Z_]+)`/gm)].map((m) => m[1]!);
}

describe('README', () => {
  it('lists every configuration variable in the configuration table', () => {
    expect(tableKeys('Configuration').sort()).toEqual(Object.keys(configVariables).sort());
  });

  it('lists every error code in the error-code table', () => {
    expect(tableKeys('Error codes')).toEqual(expect.arrayContaining(Object.keys(ErrorCodes)));
  });

  it('gives the test command that .ci/run calls', () => {
    expect(readme).toMatch(/^npm test\b/m);
    expect(readFileSync(new URL('../.ci/run', import.meta.url), 'utf8')).toMatch(/^npm test\b/m);
  });
});

describe('.env.example', () => {
  it('mentions every configuration variable', () => {
    for (const name of Object.keys(configVariables)) expect(envExample).toMatch(new RegExp(`^# ${name}=`, 'm'));
  });
});

describe('README close-code table', () => {
  it('lists every close code a client can see', async () => {
    const { CloseCodes } = await import('../src/ws/close-codes.js');
    const section = readme.split('### Close codes')[1]?.split('\n##')[0] ?? '';
    const documented = [...section.matchAll(/^\| (\d{4}) \|/gm)].map((m) => Number(m[1]));
    expect(documented).toEqual(expect.arrayContaining(Object.values(CloseCodes).map((c) => c.code)));
  });
});
