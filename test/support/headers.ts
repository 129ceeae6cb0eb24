/** The directives of a Content-Security-Policy header, by name (fails the test when it is absent). */
export function cspDirectives(header: string | null): Record<string, string> {
  expect(header).toEqual(expect.any(String));
  return Object.fromEntries(
    header!
      .split(';')
      .map((d) => d.trim())
      .filter(Boolean)
      .map((d) => [d.split(' ')[0], d.slice(d.indexOf(' ') + 1)]),
  );
}
