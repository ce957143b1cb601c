import { generateApiKey } from '@gatehouse/identity';

/**
 * `npm run keygen`: prints a new Gatehouse API key (256 random bits, checksummed), for example the
 * value of AUTH_BOOTSTRAP_ADMIN_KEY. Nothing is stored: keep it in your secret store.
 */
process.stdout.write(`${generateApiKey()}\n`);
