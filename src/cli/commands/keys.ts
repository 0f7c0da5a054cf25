/**
 * `pymk keys create|list|revoke`: API keys in the keys file (PYMK_KEYS_FILE or --file), stored as hashes.
 * `create` prints the new key once, on stdout, and nothing else there; it cannot be shown again.
 */
import type { Command } from 'commander';
import { loadConfig } from '../../core/config.js';
import { PymkError } from '../../core/errors.js';
import { SCOPES, createKey, listKeys, parseScopes, revokeKey } from '../../serve/keys.js';
import type { CommandModule } from '../command.js';

function keysFile(file: string | undefined): string {
  const path = loadConfig({ keysFile: file }).keysFile;
  if (!path) throw new PymkError('PYMK_CONFIG', 'no keys file: pass --file FILE or set PYMK_KEYS_FILE');
  return path;
}

export const keysCommand: CommandModule = {
  register(program: Command) {
    const keys = program.command('keys').description('manage API keys (stored hashed in the keys file, PYMK_KEYS_FILE)');
    keys
      .command('create')
      .description('create a key with the given scopes; prints the key once (store it: it cannot be shown again)')
      .requiredOption('--scopes <list>', `comma-separated scopes: ${SCOPES.join(', ')}`)
      .option('--name <name>', 'a name to recognise the key by', '')
      .option('--file <file>', 'keys file (env PYMK_KEYS_FILE)')
      .action(async (o: { scopes: string; name: string; file?: string }) => {
        const path = keysFile(o.file);
        const { key, info } = await createKey(path, parseScopes(o.scopes), o.name);
        process.stdout.write(`${key}\n`);
        console.error(`pymk: created key ${info.id} (${info.name || 'no name'}; scopes ${info.scopes.join(',')}) in ${path}; it is shown only this once`);
      });
    keys
      .command('list')
      .description('list keys: id, name, scopes, creation and revocation times (never the keys)')
      .option('--file <file>', 'keys file (env PYMK_KEYS_FILE)')
      .option('--json', 'one JSON object per line')
      .action(async (o: { file?: string; json?: boolean }) => {
        for (const k of await listKeys(keysFile(o.file))) {
          if (o.json) console.log(JSON.stringify(k));
          else console.log([k.id, k.name || '-', k.scopes.join(','), k.createdAt, k.revokedAt ? `revoked ${k.revokedAt}` : 'active'].join('\t'));
        }
      });
    keys
      .command('revoke')
      .description('revoke a key by id (servers stop accepting it within a second)')
      .argument('<id>', 'the key id (from pymk keys list)')
      .option('--file <file>', 'keys file (env PYMK_KEYS_FILE)')
      .action(async (id: string, o: { file?: string }) => {
        const info = await revokeKey(keysFile(o.file), id);
        console.error(`pymk: revoked key ${info.id} at ${info.revokedAt}`);
      });
  },
};
