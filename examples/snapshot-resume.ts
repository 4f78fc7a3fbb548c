/**
 * A device login that survives its process: process 1 starts the login,
 * seals a snapshot of it on the `code` event, saves it and stops; a new Node
 * process opens the snapshot and resumes the login, polling for the same
 * code, and gets the token. The emulator (a real HTTP server on 127.0.0.1,
 * in process 1) plays the server and the user, who approves while no
 * process polls.
 *
 * In real life the key comes from your secret store and the sealed snapshot
 * goes to your database; here they travel by an environment variable and a
 * temporary file.
 *
 * Run: `npm run build && node examples/snapshot-resume.ts` (Node 22.18 or later),
 * or all examples at once with `npx vitest run test/examples.test.ts`.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { isTokenPollError, loginWithDeviceFlow, openSnapshot, resumeLogin, sealSnapshot } from 'tokenpoll';
import { startEmulator } from 'tokenpoll/testing/emulator';

const [, script, role, issuer, file] = process.argv;
/** What binds the sealed snapshot to its record: it opens only for the same login. */
const CONTEXT = 'login-42';

try {
  if (role === 'resume') await secondProcess(issuer!, file!);
  else await firstProcess();
} catch (error) {
  if (!isTokenPollError(error)) throw error;
  console.log(`failed: ${error.code}: ${error.message}`);
  process.exitCode = 1;
}

async function firstProcess(): Promise<void> {
  const emulator = await startEmulator({ intervalSeconds: 0.2 });
  const folder = await mkdtemp(join(tmpdir(), 'tokenpoll-snapshot-'));
  try {
    const key = crypto.getRandomValues(new Uint8Array(32));
    const saved = join(folder, 'login.json');
    const login = loginWithDeviceFlow({ issuer: emulator.url, clientId: 'tokenpoll-test' });
    // Snapshot as soon as there is a code: from then on, the login can outlive this process.
    const userCode = await new Promise<string>((resolve, reject) =>
      login.on('code', ({ userCode, verificationUri }) => {
        console.log(`process 1: open ${verificationUri} and enter ${userCode}`);
        sealSnapshot(login.snapshot(), key, { context: CONTEXT })
          .then((sealed) => writeFile(saved, JSON.stringify(sealed)))
          .then(() => resolve(userCode), reject);
      }),
    );
    login.cancel(); // as if the process had been stopped
    await login.result.catch(() => {});
    console.log('process 1: snapshot sealed and saved; polling stops here');

    emulator.approve(userCode);
    console.log('the user approves while no process polls');

    const env = { ...process.env, SNAPSHOT_KEY: Buffer.from(key).toString('base64') };
    const { stdout } = await promisify(execFile)(process.execPath, [script!, 'resume', emulator.url, saved], { env });
    process.stdout.write(stdout);
    console.log(`same code in both processes: ${stdout.includes(userCode)}`);
  } finally {
    await rm(folder, { recursive: true, force: true });
    await emulator.close();
  }
}

async function secondProcess(issuer: string, saved: string): Promise<void> {
  const key = new Uint8Array(Buffer.from(process.env['SNAPSHOT_KEY'] ?? '', 'base64'));
  const snapshot = await openSnapshot(JSON.parse(await readFile(saved, 'utf8')), key, { context: CONTEXT });
  // The same options as the login was started with: a confidential client would pass its clientSecret here.
  const login = resumeLogin(snapshot, { issuer, clientId: 'tokenpoll-test' });
  login.on('code', ({ userCode, resumed }) => console.log(`process 2: resumed ${userCode} (resumed: ${resumed})`));
  const token = await login.result;
  // Never print the token itself: it is a secret.
  console.log(`process 2: granted a ${token.tokenType} token for ${token.expiresInSeconds} s`);
}
