// Refuses, at once and saying what to do, a Node.js that package.json's `engines.node` does not
// accept. Every npm script that runs studyclock or its tests starts with it, and .ci/run asks it
// whether the machine's Node will do. Plain JavaScript with nothing to install, as it exists to
// run on the wrong Node. (`npm install` refuses such a Node on its own: engine-strict in .npmrc.)
//
// Exit code 0 when this Node is accepted; 1, with the message on stderr, when it is not.
import { readFileSync } from 'node:fs';

const packageJson = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
const range = packageJson.engines.node;

/**
 * Whether `version` ("22.18.0") is in `range`: alternatives separated by `||`, each `^x.y.z` (the
 * same major, at least x.y.z) or `>=x.y.z`, the forms engines.node is written in. Throws on any other.
 */
function satisfies(version, range) {
  const numbers = (v) => v.split('.').map(Number);
  const atLeast = (a, b) => a[0] !== b[0] ? a[0] > b[0] : a[1] !== b[1] ? a[1] > b[1] : a[2] >= b[2];
  const current = numbers(version);
  return range.split('||').some((alternative) => {
    const match = /^(\^|>=)(\d+\.\d+\.\d+)$/.exec(alternative.trim());
    if (!match) throw new Error(`scripts/require-node.mjs cannot read engines.node "${range}": write each alternative as ^x.y.z or >=x.y.z`);
    const floor = numbers(match[2]);
    return atLeast(current, floor) && (match[1] === '>=' || current[0] === floor[0]);
  });
}

if (!satisfies(process.versions.node, range)) {
  process.stderr.write(
    [
      `studyclock needs Node.js ${range} (24 recommended); this is Node.js ${process.versions.node} (${process.execPath}).`,
      'Install Node.js 24, then run the command again with it:',
      '  nvm:  nvm install 24 && nvm use 24',
      '  fnm:  fnm install 24 && fnm use 24',
      '  or the installer for your system from https://nodejs.org/en/download',
      '',
    ].join('\n'),
  );
  process.exit(1);
}
