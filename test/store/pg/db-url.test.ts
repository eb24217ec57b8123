import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { UsageError } from '../../../src/shared/errors.js';
import { parseDbLocation, redactUrl, resolveDbLocation } from '../../../src/store/db-url.js';

const CWD = '/work/project';

describe('--db and SHADOWGATE_DB', () => {
  it('a path or sqlite:PATH is a SQLite file, relative to the working directory', () => {
    assert.deepEqual(parseDbLocation('shadowgate.db', CWD), {
      kind: 'sqlite',
      path: '/work/project/shadowgate.db',
    });
    assert.deepEqual(parseDbLocation('runs/a.db', CWD), { kind: 'sqlite', path: '/work/project/runs/a.db' });
    assert.deepEqual(parseDbLocation('/tmp/a.db', CWD), { kind: 'sqlite', path: '/tmp/a.db' });
    assert.deepEqual(parseDbLocation('sqlite:a.db', CWD), { kind: 'sqlite', path: '/work/project/a.db' });
    assert.deepEqual(parseDbLocation('sqlite:///tmp/a.db', CWD), { kind: 'sqlite', path: '/tmp/a.db' });
    assert.deepEqual(parseDbLocation('sqlite://rel/a.db', CWD), {
      kind: 'sqlite',
      path: '/work/project/rel/a.db',
    });
    assert.deepEqual(parseDbLocation(':memory:', CWD), { kind: 'sqlite', path: ':memory:' });
  });

  it('postgres:// and postgresql:// are PostgreSQL, the URL kept as given', () => {
    for (const url of [
      'postgres://root@127.0.0.1:5432/test',
      'postgresql://me:pw@db.internal/shadowgate?sslmode=require',
      'postgres:///shadowgate?host=/var/run/postgresql',
    ])
      assert.deepEqual(parseDbLocation(url, CWD), { kind: 'postgres', url });
  });

  it('--db wins over SHADOWGATE_DB, which wins over shadowgate.db', () => {
    const env = { SHADOWGATE_DB: 'postgres://root@127.0.0.1:5432/test' };
    assert.deepEqual(resolveDbLocation('a.db', env, CWD), { kind: 'sqlite', path: '/work/project/a.db' });
    assert.deepEqual(resolveDbLocation(undefined, env, CWD), { kind: 'postgres', url: env.SHADOWGATE_DB });
    assert.deepEqual(resolveDbLocation(undefined, {}, CWD), {
      kind: 'sqlite',
      path: '/work/project/shadowgate.db',
    });
    assert.deepEqual(resolveDbLocation(undefined, { SHADOWGATE_DB: '' }, CWD), {
      kind: 'sqlite',
      path: '/work/project/shadowgate.db',
    });
  });

  it('a value that is neither is one line naming where it came from, the password hidden', () => {
    const message = (fn: () => unknown) => {
      try {
        fn();
      } catch (err) {
        assert.ok(err instanceof UsageError);
        assert.equal(err.exitCode, 2);
        return err.message;
      }
      assert.fail('no error');
    };
    assert.equal(
      message(() => resolveDbLocation(undefined, { SHADOWGATE_DB: 'mysql://me:hunter2@db/x' }, CWD)),
      'SHADOWGATE_DB mysql://me:***@db/x: unknown store mysql://; give a SQLite file (sqlite:PATH) or postgres://USER@HOST:PORT/DB',
    );
    assert.equal(
      message(() => parseDbLocation('postgres://me:hunter2@db:5432', CWD, '--to')),
      '--to postgres://me:***@db:5432: no database name (postgres://USER@HOST:PORT/DB)',
    );
    assert.match(
      message(() => parseDbLocation('postgres://me@db:99999/x', CWD)),
      /not a valid URL/,
    );
    assert.equal(
      message(() => parseDbLocation('  ', CWD)),
      '--db is empty: give a SQLite file or a postgres:// URL',
    );
    assert.equal(
      message(() => parseDbLocation('sqlite:', CWD)),
      '--db sqlite:: no file after sqlite:',
    );
  });

  it('redactUrl hides a password in the user part and in the query', () => {
    assert.equal(redactUrl('postgres://me:p%40ss@h:5432/d'), 'postgres://me:***@h:5432/d');
    assert.equal(
      redactUrl('postgres://me@h/d?password=x&sslmode=require'),
      'postgres://me@h/d?password=***&sslmode=require',
    );
    assert.equal(redactUrl('postgres://me@h/d'), 'postgres://me@h/d');
  });
});
