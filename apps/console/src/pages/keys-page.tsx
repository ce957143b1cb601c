import { useState, type FormEvent } from 'react';
import type { ApiKeyCreated, ApiKeyView } from '@gatehouse/contracts';
import { api, enc } from '../api/client';
import { useMe } from '../app';
import { ErrorBox } from '../components/error-box';
import { SecretOnce } from '../components/secret-once';
import { useResource } from '../components/use-resource';
import { when } from '../lib/format';
import { isAdmin } from '../lib/roles';
import { TableHead } from '../components/table-head';

/** API keys (admin only): create one (its secret shown once), list them, revoke one. */
export function KeysPage() {
  const me = useMe();
  const keys = useResource(() => api.get<ApiKeyView[]>('/api/keys'), []);
  const [name, setName] = useState('');
  const [roles, setRoles] = useState('');
  const [created, setCreated] = useState<ApiKeyCreated | null>(null);
  const [inFlight, setInFlight] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const admin = isAdmin(me);

  const create = async (e: FormEvent) => {
    e.preventDefault();
    setInFlight(true);
    setError(null);
    try {
      const list = roles.split(/[\s,]+/).filter(Boolean);
      setCreated(await api.post<ApiKeyCreated>('/api/keys', { name: name.trim(), roles: list }));
      setName('');
      setRoles('');
      void keys.reload();
    } catch (err) {
      setError(err);
    } finally {
      setInFlight(false);
    }
  };
  const revoke = async (k: ApiKeyView) => {
    if (!window.confirm(`Revoke the key "${k.name}"? Whoever uses it is refused within seconds.`)) return;
    setError(null);
    try {
      await api.delete(`/api/keys/${enc(k.id)}`);
      void keys.reload();
    } catch (err) {
      setError(err);
    }
  };

  return (
    <section>
      <h1>API keys</h1>
      <form className="inline" aria-label="New key" onSubmit={create}>
        <label>
          Name{' '}
          <input value={name} onChange={(e) => setName(e.target.value)} required maxLength={100} disabled={!admin} />
        </label>
        <label>
          Roles{' '}
          <input
            value={roles}
            onChange={(e) => setRoles(e.target.value)}
            placeholder="operator, devops_engineer"
            disabled={!admin}
          />
        </label>
        <button type="submit" disabled={!admin || inFlight}>
          Create key
        </button>
      </form>
      {created && (
        <SecretOnce secret={created.key} testId="key-created" secretTestId="new-key" onDone={() => setCreated(null)}>
          Key <strong>{created.name}</strong> created.
        </SecretOnce>
      )}
      <ErrorBox error={error ?? keys.error} />
      <table data-testid="keys">
        <TableHead columns={['Name', 'Prefix', 'Roles', 'Created', 'Last used', 'Revoked']} actions />
        <tbody>
          {(keys.data ?? []).map((k) => (
            <tr key={k.id} data-testid={`key-${k.name}`}>
              <td>{k.name}</td>
              <td>
                <code>{k.prefix}</code>
              </td>
              <td>{k.roles.join(', ')}</td>
              <td>
                {when(k.createdAt)} by {k.createdBy}
              </td>
              <td>{when(k.lastUsedAt)}</td>
              <td>{when(k.revokedAt)}</td>
              <td>
                <button type="button" disabled={!admin || k.revokedAt !== null} onClick={() => void revoke(k)}>
                  Revoke
                </button>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}
