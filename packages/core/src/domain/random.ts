/** `bytes` random bytes as lower-case hex, from `crypto.getRandomValues` (every browser and Node). */
export function randomHex(bytes: number): string {
  return Array.from(crypto.getRandomValues(new Uint8Array(bytes)), (b) =>
    b.toString(16).padStart(2, '0'),
  ).join('');
}
