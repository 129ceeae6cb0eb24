import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { onPath, programUnavailable } from './support/required-program.js';
import { startTestServer, type TestServer } from './support/server.js';

// The README's first curl session, run as a reader would: its shell block taken from README.md,
// one line at a time in one shell (bash, and zsh, the default shell on macOS), against a live
// server. Placeholders are filled from the answers before them: the token, then the ids.

const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
const section = readme.split('\n## A first session, with curl\n')[1]?.split('\n## ')[0] ?? '';
const block = /```sh\n([\s\S]*?)```/.exec(section)?.[1] ?? '';
/** The block's commands: its lines but blank ones and comments. */
const commands = block.split('\n').filter((line) => line.trim() !== '' && !line.trimStart().startsWith('#'));
/** Where the README's server listens; replaced by the test server's URL. */
const README_API = 'http://localhost:4000/graphql';

const ZSH = onPath('zsh');
const zshUnavailable = programUnavailable({
  suite: 'zsh',
  found: ZSH !== undefined,
  missing: 'no zsh on PATH (install it with `apt-get install -y zsh`)',
  unavailableVariable: 'ZSH_TESTS_UNAVAILABLE',
});
// Startup files skipped (-f, --norc): the reader's own configuration is not the README's.
const shells = [
  { shell: 'bash', file: onPath('bash') ?? 'bash', args: ['--noprofile', '--norc'], describe },
  { shell: 'zsh', file: ZSH ?? 'zsh', args: ['-f'], describe: zshUnavailable ? describe.skip : describe },
];

/** One shell process that runs commands one by one and answers each with what it printed. */
class Shell {
  readonly #child: ChildProcessWithoutNullStreams;
  #stdout = '';
  #stderr = '';
  #next = 0;

  constructor(file: string, args: string[], home: string) {
    this.#child = spawn(file, args, { env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: home, ZDOTDIR: home } });
    this.#child.stdout.on('data', (chunk: Buffer) => (this.#stdout += chunk.toString()));
    this.#child.stderr.on('data', (chunk: Buffer) => (this.#stderr += chunk.toString()));
  }

  /** Runs `command` and resolves with its standard output, without the last newline. */
  async run(command: string): Promise<string> {
    const marker = `--- done ${this.#next++} ---`;
    this.#child.stdin.write(`${command}\nprintf '%s\\n' '${marker}'\n`);
    for (let waited = 0; !this.#stdout.includes(`${marker}\n`); waited += 10) {
      if (waited > 10_000 || this.#child.exitCode !== null) throw new Error(`no answer to ${command}; stderr: ${this.#stderr}`);
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    const [output] = this.#stdout.split(`${marker}\n`);
    this.#stdout = this.#stdout.slice(output!.length + marker.length + 1);
    return output!.replace(/\n$/, '');
  }

  close(): Promise<unknown> {
    this.#child.stdin.end();
    return new Promise((resolve) => (this.#child.exitCode === null ? this.#child.once('exit', resolve) : resolve(undefined)));
  }
}

/** The JSON a `gql` step printed; fails naming the step when it printed something else (nothing, an HTML page). */
function answerOf(command: string, output: string): unknown {
  try {
    return JSON.parse(output);
  } catch {
    throw new Error(`${command}\nprinted ${JSON.stringify(output)}, not a GraphQL answer`);
  }
}

it('has the shell block with the steps the tests below follow', () => {
  expect(commands[0]).toBe(`API=${README_API}`);
  expect(commands.filter((c) => c.startsWith('gql '))).toHaveLength(4);
  expect(commands.some((c) => c.startsWith('TOKEN=eyJ...'))).toBe(true);
  expect(block).toContain('"<subject id>"');
  expect(block).toContain('"<session id>"');
});

describe.each(shells)('the README curl session in $shell', ({ file, args, describe: describeShell }) => {
  describeShell('step by step', () => {
    let t: TestServer;
    let shell: Shell;
    let home: string;
    beforeAll(async () => {
      t = await startTestServer();
      home = mkdtempSync(join(tmpdir(), 'studyclock-shell-'));
      shell = new Shell(file, args, home);
    });
    afterAll(async () => {
      await shell?.close();
      rmSync(home, { recursive: true, force: true });
      await t?.close();
    });

    it('signs up, creates a subject, starts a 25-minute pomodoro and pauses it', async () => {
      /** What each `gql` printed so far, parsed, in order. */
      const answers: any[] = [];
      for (const command of commands) {
        const filled = command
          .replace(README_API, t.graphqlUrl)
          .replace(/^TOKEN=eyJ\.\.\./, () => `TOKEN=${answers[0].data.signUp.accessToken}`)
          .replace('"<subject id>"', () => JSON.stringify(answers[1].data.createSubject.id))
          .replace('"<session id>"', () => JSON.stringify(answers[2].data.startSession.id));
        const output = await shell.run(filled);
        if (command.startsWith('gql ')) answers.push(answerOf(filled, output));
        else expect(output).toBe('');
      }

      const [signUp, subject, started, paused] = answers;
      expect(signUp).toEqual({
        data: {
          signUp: { accessToken: expect.any(String), refreshToken: expect.any(String), expiresAt: expect.any(String), user: { id: expect.any(String) } },
        },
      });
      expect(subject).toEqual({ data: { createSubject: { id: expect.any(String), name: 'Algebra' } } });
      expect(started).toEqual({
        data: { startSession: { id: expect.any(String), status: 'RUNNING', elapsedSeconds: 0, remainingSeconds: 1500 } },
      });
      expect(paused).toEqual({ data: { pauseSession: { status: 'PAUSED', elapsedSeconds: 0, pausedReason: 'USER' } } });
    });
  });
});
