import { describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { rollbackLines } from '../../src/report-markdown.js';

describe('the rollback section: the restore command is safe to paste', () => {
  it('quotes a journal path with spaces, quotes and shell metacharacters so that a shell reads it back exactly', () => {
    const journal = `/tmp/change board/it's $(echo x) \`true\` ; exit 3 & *.jsonl`;
    const restore = ['entra-pim-setup', 'restore', '--journal', journal, '--tenant-id', '8f2d6a3c-1b4e-4c5d-9e7f-0a1b2c3d4e5f', '--yes'];
    const lines = rollbackLines({
      journal,
      removalsSent: 1,
      removalsConfirmed: 1,
      preview: [...restore.slice(0, -1), '--dry-run'],
      restore,
      notUndone: [],
    });
    const commands = lines.filter((l) => l.startsWith('entra-pim-setup restore'));
    expect(commands).toHaveLength(2);
    // The command as pasted, with the program replaced by one that prints each argument on a line.
    const argv = execFileSync('bash', ['-c', commands[1].replace(/^entra-pim-setup /, `printf '%s\\n' `)], { encoding: 'utf8' });
    expect(argv.trimEnd().split('\n')).toEqual(restore.slice(1));
  });
});
