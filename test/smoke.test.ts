import { startTestServer, type TestServer } from './support/server.js';
import { ME, signUpStudent } from './support/fixtures.js';

let t: TestServer;
beforeAll(async () => {
  t = await startTestServer();
});
afterAll(() => t.close());

it('signs up and answers me', async () => {
  const s = await signUpStudent(t.client());
  const data = await s.client.ok<{ me: { id: string } }>(ME);
  expect(data.me.id).toBe(s.userId);
});
