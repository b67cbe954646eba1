/**
 * `count` distinct vehicle ids shaped like the spec's example: the example's last characters
 * are replaced by a zero-padded number (digits are the most widely allowed characters); each
 * id is checked against the parameter's pattern, and when that fails a numeric suffix is
 * appended instead. Throws a RangeError when neither fits the pattern.
 */
export function vehicleIds(example: string, pattern: string | undefined, count: number): string[] {
  const re = pattern ? new RegExp(pattern) : undefined;
  const width = Math.max(4, String(count).length);
  const out: string[] = [];
  for (let i = 0; i < count; i++) {
    const n = String(i + 1).padStart(width, "0");
    const replaced = example.length > width ? example.slice(0, -width) + n : `${example}${n}`;
    const appended = `${example}-${n}`;
    const id = [replaced, appended].find((c) => !re || re.test(c));
    if (!id) {
      throw new RangeError(
        `cannot make vehicle ids from example ${example} that match ${pattern ?? "(none)"}`,
      );
    }
    out.push(id);
  }
  return out;
}
