import { execFile } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Kind, parse, print, visit } from 'graphql';
import config from '../codegen.js';

// Typed clients: the test suite's documents (and an outside team's, following the README) are
// checked against the schema by graphql-codegen, so a schema change that breaks a client fails
// the build. Each case runs the real `graphql-codegen` CLI in a child process, on a scratch
// directory under node_modules/.cache (where presets and plugins resolve from the project's
// node_modules), removed afterwards.

const root = fileURLToPath(new URL('..', import.meta.url));
const CODEGEN_TIMEOUT = 60_000;

const scratchDirs: string[] = [];
afterAll(() => {
  for (const dir of scratchDirs) rmSync(dir, { recursive: true, force: true });
});

/** A fresh directory under node_modules/.cache named `prefix…`, removed after the file. */
function scratchDir(prefix: string): string {
  mkdirSync(join(root, 'node_modules/.cache'), { recursive: true });
  const dir = mkdtempSync(join(root, 'node_modules/.cache', prefix));
  scratchDirs.push(dir);
  return dir;
}

/** Runs `npx graphql-codegen --config <configFile>` in `cwd`: its exit code and everything it printed. */
function graphqlCodegen(cwd: string, configFile: string): Promise<{ code: number; output: string }> {
  // As a developer's shell would: graphql-codegen prints no errors under NODE_ENV=test, and the
  // tests' NODE_OPTIONS are Jest's. The Node running the tests goes first on PATH, for npx and
  // the CLI's `#!/usr/bin/env node`.
  const { NODE_ENV: _nodeEnv, NODE_OPTIONS: _nodeOptions, ...env } = process.env;
  env.PATH = `${dirname(process.execPath)}:${env.PATH}`;
  return new Promise((resolve) => {
    execFile(
      'npx',
      ['--no-install', 'graphql-codegen', '--config', configFile],
      { cwd, env, timeout: CODEGEN_TIMEOUT },
      (error, stdout, stderr) => resolve({ code: error ? Number(error.code ?? 1) : 0, output: `${stdout}${stderr}` }),
    );
  });
}

describe("the test suite's typed documents", () => {
  /**
   * The project's own target for the test documents (codegen.ts, `test/__generated__/`), run on
   * a copy of schema/ (`change` applied to each file) into `<scratch>/out/`; run from the
   * project root, so its document globs find the test files.
   */
  async function codegenTestDocuments(change: (sdl: string) => string) {
    const dir = scratchDir('schema-change-');
    mkdirSync(join(dir, 'schema'));
    for (const file of readdirSync(join(root, 'schema')).filter((f) => f.endsWith('.graphql'))) {
      writeFileSync(join(dir, 'schema', file), change(readFileSync(join(root, 'schema', file), 'utf8')));
    }
    const { generates, ...shared } = config;
    const derived = { ...shared, schema: join(dir, 'schema/*.graphql'), generates: { [join(dir, 'out/')]: generates['test/__generated__/'] } };
    writeFileSync(join(dir, 'codegen.json'), JSON.stringify(derived));
    return { dir, ...(await graphqlCodegen(root, join(dir, 'codegen.json'))) };
  }

  /** The fields of `type` in `sdl`, by name. */
  function fieldsOf(sdl: string, type: string): string[] {
    const definition = parse(sdl).definitions.find((d) => d.kind === Kind.OBJECT_TYPE_DEFINITION && d.name.value === type);
    return definition?.kind === Kind.OBJECT_TYPE_DEFINITION ? (definition.fields ?? []).map((f) => f.name.value) : [];
  }

  /** `sdl` without the field `StudySession.elapsedSeconds`, which the fixtures and timer documents select. */
  function withoutElapsedSeconds(sdl: string): string {
    const document = parse(sdl);
    const changed = visit(document, {
      ObjectTypeDefinition: (node) =>
        node.name.value === 'StudySession' ? { ...node, fields: node.fields?.filter((f) => f.name.value !== 'elapsedSeconds') } : undefined,
    });
    return changed === document ? sdl : print(changed);
  }

  it('generates their types from the schema as it is', async () => {
    const { dir, code, output } = await codegenTestDocuments((sdl) => sdl);
    expect({ code, output }).toEqual({ code: 0, output: expect.any(String) });
    expect(readFileSync(join(dir, 'out/graphql.ts'), 'utf8')).toMatch(
      /^export const SessionDocument = new TypedDocumentString\(`[\s\S]*?`\) as unknown as TypedDocumentString<SessionQuery, SessionQueryVariables>;$/m,
    );
  }, CODEGEN_TIMEOUT);

  it('fails, naming the field and the document, once the schema loses a field they select', async () => {
    // The change is the one this test is about: StudySession loses that field and nothing else.
    const sessionsSdl = readFileSync(join(root, 'schema/sessions.graphql'), 'utf8');
    const before = fieldsOf(sessionsSdl, 'StudySession');
    expect(before).toContain('elapsedSeconds');
    expect(fieldsOf(withoutElapsedSeconds(sessionsSdl), 'StudySession')).toEqual(before.filter((f) => f !== 'elapsedSeconds'));

    const { code, output } = await codegenTestDocuments(withoutElapsedSeconds);

    expect(code).not.toBe(0);
    expect(output).toContain('Cannot query field "elapsedSeconds" on type "StudySession"');
    expect(output).toContain(join(root, 'test/support/fixtures.ts'));
  }, CODEGEN_TIMEOUT);
});

describe("the README's typed-client recipe", () => {
  const readme = readFileSync(join(root, 'README.md'), 'utf8');
  const section = readme.split('\n## Typed clients\n')[1]?.split('\n## ')[0] ?? '';

  it('says how schema.graphql is made and that CI checks it for drift', () => {
    expect(section).toContain('`npm run codegen`');
    expect(section).toContain('`npm run codegen:check`');
    expect(readFileSync(join(root, 'schema.graphql'), 'utf8')).toMatch(/^# Generated by graphql-codegen/);
  });

  it("generates typed documents for an outside team's operations with the README's codegen.ts, as written", async () => {
    const codegenTs = /```ts\n([\s\S]*?)```/.exec(section)?.[1];
    expect(codegenTs).toContain("preset: 'client'");
    const schemaPath = /schema: '([^']+)'/.exec(codegenTs!)?.[1];
    expect(schemaPath).toBeDefined();
    const dir = scratchDir('readme-codegen-');
    writeFileSync(join(dir, 'codegen.ts'), codegenTs!);
    mkdirSync(dirname(join(dir, schemaPath!)), { recursive: true });
    copyFileSync(join(root, 'schema.graphql'), join(dir, schemaPath!));
    mkdirSync(join(dir, 'src'));
    writeFileSync(
      join(dir, 'src/Timer.tsx'),
      [
        "import { graphql } from './gql';",
        '',
        'export const ME = graphql(`query Me { me { id email } }`);',
        'export const TIMER = graphql(`',
        '  subscription Timer($id: ID!) {',
        '    timerUpdated(sessionId: $id) { sessionId status elapsedSeconds remainingSeconds serverTime }',
        '  }',
        '`);',
        '',
      ].join('\n'),
    );

    const { code, output } = await graphqlCodegen(dir, 'codegen.ts');

    expect({ code, output }).toEqual({ code: 0, output: expect.any(String) });
    const generated = readFileSync(join(dir, 'src/gql/graphql.ts'), 'utf8');
    expect(generated).toContain('export type MeQuery = { me: { id: string, email: string } };');
    // `serverTime` is a DateTime: typed as the string it travels as (the README's scalars), not `any`.
    expect(generated).toContain(
      'export type TimerSubscription = { timerUpdated: { sessionId: string, status: SessionStatus, elapsedSeconds: number, remainingSeconds: number | null, serverTime: string } };',
    );
    expect(generated).toMatch(/^export const MeDocument = .* as unknown as DocumentNode<MeQuery, MeQueryVariables>;$/m);
    expect(generated).toMatch(/^export const TimerDocument = .* as unknown as DocumentNode<TimerSubscription, TimerSubscriptionVariables>;$/m);
  }, CODEGEN_TIMEOUT);
});
