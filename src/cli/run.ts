/** Placeholder: the CLI is being written. @internal */
export async function main(args: readonly string[]): Promise<number> {
  if (args.includes('--help') || args.length === 0) {
    process.stderr.write('Usage: tokenpoll <demo|login> [options]\n');
    return 0;
  }
  return 2;
}
